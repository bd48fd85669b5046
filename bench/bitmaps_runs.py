"""One full-budget run of the recipes tutorial's bitmaps section (15 categories of ../shared bitmaps, seed 42 split
unless given): the `bitmaps` recipe with some options changed, trained and evaluated by `train_sketches` (as
`make train`), written to nbs/tutorials/recipes_results/NAME.json (the tutorial reads every run of kind 'bitmaps30').

    .venv/bin/python bench/bitmaps_runs.py NAME 'JSON overrides of the recipe' ['description']

For example MixUp at the full budget (40 epochs):

    bench/bitmaps_runs.py e_mix02 '{"mixup": 0.2}' 'bitmaps recipe + MixUp 0.2, 40 epochs'

`bench/bitmaps_runs.py mt40 '{}'` is `make train` itself.
"""
import csv, json, sys, time
from pathlib import Path
from quickdraw_nb import recipes
from quickdraw_nb.train import train_sketches

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/bitmap'
RESULTS = Path(__file__).resolve().parents[1]/'nbs/tutorials/recipes_results'
FINAL = ('top1', 'top3', 'map3', 'tta', 'fit_seconds', 'train_images_per_s', 'arch', 'epochs', 'seed')

def main(name, overrides='{}', desc=''):
    over = json.loads(overrides)
    seed = over.pop('seed', 42)
    if unknown := set(over) - set(recipes.RECIPES['bitmaps']): raise SystemExit(f"unknown recipe options: {unknown}")
    recipes.RECIPES['bitmaps'].update(over)  # `recipe('bitmaps')` copies it: today's recipe with these changes
    out = Path('scratch')/name
    t0 = time.perf_counter()
    train_sketches(data=DATA, recipe='bitmaps', out=out, seed=seed, progress=False, tensorboard=False)
    m = json.loads((out/'metrics.json').read_text())
    rows = list(csv.reader(open(out/'history.csv')))[1:]  # epoch, train_loss, valid_loss, top1, top3, map3, time
    hist = [[int(r[0])] + [round(float(v), 4) for v in r[1:-1]] for r in rows]
    last = dict(zip(('top1', 'top3', 'map3'), hist[-1][3:6]))
    res = dict(name=name, kind='bitmaps30', desc=desc or json.dumps(dict(over, seed=seed)), overrides=over,
               partial=False, epochs_run=len(hist), last_epoch=last,
               final=dict({k: round(m[k], 4) if k in ('top1', 'top3', 'map3') else m.get(k) for k in FINAL}, seed=seed),
               hist=hist, seed=seed)
    (RESULTS/f'{name}.json').write_text(json.dumps(res, indent=1) + '\n')
    print(f"{name}: top-1 {m['top1']:.4f}, MAP@3 {m['map3']:.4f}, {time.perf_counter() - t0:.0f} s")

if __name__ == '__main__': main(*sys.argv[1:])
