#!/usr/bin/env python
"""Batch prediction end to end: `qd_predict` on a stroke file of 100,000 real drawings, before/after, in one run.

The input is the shared simplified stroke files (all 345 categories) repeated to `--n` drawings, written once as
`.ndjson` and once as a Kaggle CSV (`drawing` column). "before" is `qd_predict` of an older commit (default 145b6f5,
in a temporary `git worktree` on PYTHONPATH: reads the whole file, renders it, classifies with PyTorch; this checkout's
architectures are registered in it, so it runs the same model); "after" is
this checkout's `qd_predict` (streams the file in chunks, renders in threads, classifies with onnxruntime when the
model folder has a current model.onnx); "after, int8" adds `--runtime onnx-int8` (the model.int8.onnx that
qd_train writes, see `quickdraw_nb.predictor.quantize_onnx`). Each run is a fresh process: wall time from start to the written CSV
(imports and model loading included), drawings/s, and peak resident memory.

    .venv/bin/python bench/predict_bench.py --model results/bitmap15/model       # or: trains a small model first
    .venv/bin/python bench/predict_bench.py --model results/bitmap15/model --n 100000 --skip_before
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))

def make_inputs(folder:Path, n:int) -> tuple[Path, Path]:
    "An .ndjson and a Kaggle CSV of `n` real drawings (the shared simplified files, repeated)."
    from quickdraw_nb.testing import shared_data
    from quickdraw_nb.strokes import write_kaggle_csv, read_ndjson
    lines = []
    for f in sorted((shared_data()/'strokes'/'simplified').glob('*.ndjson')): lines += f.read_text().splitlines()
    nd = folder/f'drawings_{n}.ndjson'
    with open(nd, 'w') as out:
        for i in range(n): out.write(lines[i % len(lines)] + '\n')
    csv = folder/f'drawings_{n}.csv'
    write_kaggle_csv(read_ndjson(nd), csv)
    return nd, csv

# the older commit knows no architecture added since (e.g. `sketch_cnn`, today's `make train` model): its processes
# register this checkout's `quickdraw_nb/models.py` with timm at start-up, and run everything else as they did then
ARCH_SHIM = """import importlib.util, os, sys
spec = importlib.util.spec_from_file_location('qd_bench_archs', os.environ['QD_BENCH_ARCHS'])
sys.modules[spec.name] = mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
"""

def old_commit_env(env:dict, base:Path, shim:Path) -> dict:
    "`env` for a process running the code of the worktree `base`, with this checkout's architectures registered."
    shim.mkdir(exist_ok=True)
    (shim/'sitecustomize.py').write_text(ARCH_SHIM)
    return dict(env, PYTHONPATH=f'{base}{os.pathsep}{shim}', QD_BENCH_ARCHS=str(ROOT/'quickdraw_nb'/'models.py'))

def run(cmd, env) -> tuple[float, float]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0: sys.exit(f"failed: {' '.join(map(str, cmd))}: {p.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', help='model folder written by save_model (default: train the small model of bench/serve_load.py)')
    ap.add_argument('--n', type=int, default=100_000, help='drawings in the input file')
    ap.add_argument('--base_commit', default='145b6f5')
    ap.add_argument('--skip_before', action='store_true', help='only measure this checkout')
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    if a.model: model = Path(a.model).resolve()
    else:
        # in a child process: a forked child's ru_maxrss starts from its parent's size, so this process stays small
        subprocess.run([sys.executable, '-c', f"import sys; sys.path.insert(0, {str(ROOT/'bench')!r}); "
                        f"from pathlib import Path; from serve_load import train_small_model; train_small_model(Path({str(tmp/'results')!r}))"], check=True)
        model = tmp/'results'/'model'
    nd, csv = make_inputs(tmp, a.n)
    qd_predict = str(Path(sys.executable).with_name('qd_predict'))
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    rows, agree = [], {}
    base = tmp/'base'
    if not a.skip_before:
        subprocess.run(['git', '-C', str(ROOT), 'worktree', 'add', '--detach', str(base), a.base_commit], check=True, capture_output=True)
    try:
        for label, src in (('ndjson', nd), ('Kaggle CSV', csv)):
            if not a.skip_before and label == 'ndjson':  # the old qd_predict reads no Kaggle CSV
                wall, rss = run([qd_predict, str(model), str(src), '--out', str(tmp/'before.csv')],
                                old_commit_env(env, base, tmp/'shim'))
                rows.append((f'before ({a.base_commit}), {label}', wall, rss))
            wall, rss = run([qd_predict, str(model), str(src), '--out', str(tmp/'after.csv')], env)
            rows.append((f'after, {label}', wall, rss))
            if not a.skip_before and label == 'ndjson':
                import pandas as pd
                same_before = (pd.read_csv(tmp/'before.csv').pred_1 == pd.read_csv(tmp/'after.csv').pred_1).mean()
            if (model/'model.int8.onnx').exists():  # written by qd_train (quantize_onnx): --runtime onnx-int8
                wall, rss = run([qd_predict, str(model), str(src), '--runtime', 'onnx-int8', '--out', str(tmp/'int8.csv')], env)
                rows.append((f'after, int8, {label}', wall, rss))
                import pandas as pd
                agree[label] = (pd.read_csv(tmp/'int8.csv').pred_1 == pd.read_csv(tmp/'after.csv').pred_1).mean()
    finally:
        if not a.skip_before: subprocess.run(['git', '-C', str(ROOT), 'worktree', 'remove', '--force', str(base)], capture_output=True)
    print(f"qd_predict on {a.n:,} real drawings (strokes), model {model}; {os.cpu_count()} CPUs; wall time of the whole command\n")
    print(f"{'':28} {'seconds':>8} {'drawings/s':>11} {'peak RSS MB':>12}")
    for label, wall, rss in rows: print(f"{label:28} {wall:8.1f} {a.n / wall:11,.0f} {rss:12.0f}")
    if not a.skip_before: print(f"before and after (float32) give the same first guess on {same_before:.2%} of the drawings")
    for label, v in agree.items(): print(f"int8 and float32 give the same first guess on {v:.2%} of the {label}'s drawings")
    if not a.skip_before:
        best = min(w for label, w, _ in rows[1:] if 'ndjson' in label)
        print(f"\nspeed-up on the .ndjson file: {rows[0][1] / rows[1][1]:.1f}x (float32), {rows[0][1] / best:.1f}x (fastest); "
              f"target >= 5,000 drawings/s: {'met' if a.n / best >= 5000 else 'NOT met'} ({a.n / best:,.0f}/s)")

if __name__ == '__main__': main()
