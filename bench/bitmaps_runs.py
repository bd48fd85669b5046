"""One full-budget run of the recipes tutorial's bitmaps section (15 categories of ../shared bitmaps, seed 42 split
unless given): the `bitmaps` recipe with some options changed, trained and evaluated by `train_sketches` (as
`make train`), written to nbs/tutorials/recipes_results/NAME.json (the tutorial reads every run of kind 'bitmaps30').

    .venv/bin/python bench/bitmaps_runs.py NAME 'JSON overrides of the recipe' ['description']

For example MixUp at the full budget (40 epochs):

    bench/bitmaps_runs.py e_mix02 '{"mixup": 0.2}' 'bitmaps recipe + MixUp 0.2, 40 epochs'

Two networks of 20 epochs each, averaged (`members` makes any recipe an ensemble):

    bench/bitmaps_runs.py e_ens2x20 '{"members": [{"arch": "sketch_cnn", "epochs": 20},
                                                  {"arch": "sketch_cnn", "epochs": 20}]}'

`bench/bitmaps_runs.py mt40 '{}'` is `make train` itself.

The augmentation strengths (the tutorial's section on them): b_aug_none '{"aug": false}', b_aug_noflip
'{"aug": {"max_rotate": 10, "min_zoom": 0.9, "max_zoom": 1.1, "do_flip": false}}', b_aug_weak
'{"aug": {"max_rotate": 5, "min_zoom": 0.95, "max_zoom": 1.05, "do_flip": true}}' and b_aug_strong
'{"aug": {"max_rotate": 15, "min_zoom": 0.85, "max_zoom": 1.2, "do_flip": true, "p_affine": 1.0}}'.
"""
import json, sys
from pathlib import Path
from recipe_runs import run_recipe, write_result

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/bitmap'
FINAL = ('top1', 'top3', 'map3', 'tta', 'fit_seconds', 'train_images_per_s', 'arch', 'epochs', 'seed')

def main(name, overrides='{}', desc=''):
    m, hist, over, seed = run_recipe('bitmaps', DATA, name, overrides)
    last = dict(zip(('top1', 'top3', 'map3'), hist[-1][3:6]))
    write_result(dict(name=name, kind='bitmaps30', desc=desc or json.dumps(dict(over, seed=seed)), overrides=over,
                      partial=False, epochs_run=len(hist), last_epoch=last,
                      final=dict({k: round(m[k], 4) if k in ('top1', 'top3', 'map3') else m.get(k) for k in FINAL},
                                 seed=seed),
                      hist=hist, seed=seed))

if __name__ == '__main__': main(*sys.argv[1:])
