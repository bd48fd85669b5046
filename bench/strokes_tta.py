"""Test-time augmentation and two-model ensembles of the few-shot runs of bench/strokes_runs.py, on their validation
split: each saved model (scratch/NAME/model) classifies the held-out drawings of its split through the same predictor
as `qd_evaluate`, alone and with TTA views (flip, shifts); with two or more models, their averaged probabilities too.

    .venv/bin/python bench/strokes_tta.py fs_lite0_112_raw_cl fs_lite1_112_raw [--seed 42]

The validation drawings are the rows `stratified_split(labels, 0.2, seed)` holds out of
../shared/data/quickdraw/strokes/simplified (the split of `train_sketches`), written to scratch/valid345_sSEED/ as one
ndjson file per category, so that `qd_evaluate scratch/NAME/model scratch/valid345_s42 [--tta]` gives the same numbers.
"""
import argparse, json
from pathlib import Path
import numpy as np

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/strokes/simplified'
VIEWS = {'no TTA': None, 'flip': dict(), 'flip + 4 px shifts': dict(shift=4), 'flip + 8 px shifts': dict(shift=8),
         '4 px shifts': dict(flip=False, shift=4)}

def write_valid_split(seed:int) -> Path:
    "The validation drawings of the seed-`seed` split, one ndjson file per category (written once)."
    from quickdraw_nb.strokeblock import load_strokes
    from quickdraw_nb.bitmaps import stratified_split
    out = Path('scratch')/f'valid345_s{seed}'
    if out.exists(): return out
    ds = load_strokes(DATA)
    valid = set(ds.key_ids[stratified_split(ds.labels, 0.2, seed)[1]].tolist())
    tmp = out.with_name(out.name + '.part'); tmp.mkdir(parents=True, exist_ok=True)
    for f in sorted(DATA.glob('*.ndjson')):
        lines = [l for l in f.read_text().splitlines() if int(json.loads(l)['key_id']) in valid]
        (tmp/f.name).write_text('\n'.join(lines) + '\n')
    tmp.rename(out)
    return out

def scores(probs:np.ndarray, targs:np.ndarray) -> str:
    hit = np.argsort(-probs, 1)[:, :3] == targs[:, None]
    return f"top-1 {hit[:, 0].mean():.2%}  top-3 {hit.any(1).mean():.2%}  MAP@3 {(hit / np.arange(1, 4)).sum(1).mean():.2%}"

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('names', nargs='+'); p.add_argument('--seed', type=int, default=42)
    a = p.parse_args()
    from quickdraw_nb.predictor import load_predictor, tta_probs
    from quickdraw_nb.cli_evaluate import labelled_inputs
    valid = write_valid_split(a.seed)
    probs = {}
    for name in a.names:
        pr = load_predictor(Path('scratch')/name/'model')
        x, targs, _ = labelled_inputs(valid, pr, None, None, None, 'raise')
        targs = targs.numpy()
        for view, kw in VIEWS.items():
            probs[name, view] = np.asarray(pr.probs(x, 256) if kw is None else tta_probs(pr, x, 256, **kw))
            print(f"{name:>24}, {view:>18}: {scores(probs[name, view], targs)}", flush=True)
    if len(a.names) > 1:
        for view in ('no TTA', 'flip'):
            avg = np.mean([probs[n, view] for n in a.names], axis=0)
            print(f"{'ensemble of ' + str(len(a.names)):>24}, {view:>18}: {scores(avg, targs)}")

if __name__ == '__main__': main()
