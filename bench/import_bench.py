#!/usr/bin/env python
"""Import time and memory of the inference entry points, before/after, measured in one run.

Each measurement is a fresh Python process (the median of `--repeat` runs): its wall time from start to exit and its
peak resident memory (ru_maxrss). "before" runs the code of an older commit (default 145b6f5, the last commit before
`quickdraw_nb.modelfile`), checked out in a temporary `git worktree` and put first on PYTHONPATH, with the same
virtual environment; "after" runs this checkout.

    .venv/bin/python bench/import_bench.py                  # before = 145b6f5
    .venv/bin/python bench/import_bench.py --base_commit HEAD~3 --repeat 5

Targets (issue 12): `qd_predict --help` <= 1 s; importing the ONNX predictor <= 1 s and <= 150 MB; the PyTorch predictor <= 5 s.
"""
import argparse, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = Path(PY).parent

# (name, command for the old code, command for the new code, target seconds, target MB)
CASES = [
    ('qd_predict --help', [str(BIN/'qd_predict'), '--help'], [str(BIN/'qd_predict'), '--help'], 1.0, None),
    ('import OnnxPredictor', [PY, '-c', 'from quickdraw_nb.inference import OnnxPredictor'],
                             [PY, '-c', 'from quickdraw_nb.predictor import OnnxPredictor'], 1.0, 150),
    ('import Predictor (PyTorch)', [PY, '-c', 'from quickdraw_nb.inference import Predictor'],
                                   [PY, '-c', 'from quickdraw_nb.inference import Predictor'], 5.0, None),
    ('import quickdraw_nb.serve', [PY, '-c', 'import quickdraw_nb.serve'], [PY, '-c', 'import quickdraw_nb.serve'], None, None),
    ('import evaluate (qd_evaluate)', [PY, '-c', 'import quickdraw_nb.cli_evaluate, quickdraw_nb.evaluate'],
                                      [PY, '-c', 'import quickdraw_nb.cli_evaluate, quickdraw_nb.evaluate'], None, None),
]

def measure(cmd, pythonpath:str|None, repeat:int) -> tuple[float, float, float]:
    "Median wall seconds, CPU seconds (user + system) and peak RSS (MB) of `cmd` in a fresh process."
    walls, cpus, rss = [], [], []
    env = dict(os.environ)
    if pythonpath: env['PYTHONPATH'] = pythonpath + os.pathsep + env.get('PYTHONPATH', '')
    else: env.pop('PYTHONPATH', None)
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t0)
        if os.waitstatus_to_exitcode(status) != 0: sys.exit(f"failed: {' '.join(cmd)} (PYTHONPATH={pythonpath}): {p.stderr.read().decode()[-2000:]}")
        rss.append(usage.ru_maxrss / 1024); cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls), statistics.median(cpus), statistics.median(rss)

def heavy_modules(stmt:str, pythonpath:str|None) -> str:
    "Which heavy modules `stmt` imports."
    code = f"{stmt}\nimport sys\nprint(','.join(m for m in ('torch', 'torch._dynamo', 'timm', 'torchmetrics', 'fastai', 'fastai.learner', 'pandas', 'numba') if m in sys.modules) or '-')"
    env = dict(os.environ)
    if pythonpath: env['PYTHONPATH'] = pythonpath
    else: env.pop('PYTHONPATH', None)
    return subprocess.run([PY, '-c', code], env=env, capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.strip()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--base_commit', default='145b6f5', help='the "before" commit')
    ap.add_argument('--repeat', type=int, default=3)
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp())/'base'
    subprocess.run(['git', '-C', str(ROOT), 'worktree', 'add', '--detach', str(base), a.base_commit], check=True, capture_output=True)
    try:
        print(f"before: {a.base_commit} (in {base}); after: {ROOT} ({subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()} + working tree)")
        print(f"median of {a.repeat} fresh processes; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
        print("wall: seconds from process start to exit; cpu: user + system seconds (less sensitive to a busy machine)")
        print(f"{'':28} {'before s':>9} {'after s':>9} {'ratio':>7} {'cpu before':>10} {'cpu after':>9} {'before MB':>10} {'after MB':>9}  target (wall)")
        for name, old, new, t_s, t_mb in CASES:
            (bs, bc, bm), (as_, ac, am) = measure(old, str(base), a.repeat), measure(new, None, a.repeat)
            target = ', '.join(x for x in ((f"<= {t_s:g} s {'ok' if as_ <= t_s else 'MISSED'}" if t_s else ''),
                                           (f"<= {t_mb} MB {'ok' if am <= t_mb else 'MISSED'}" if t_mb else '')) if x)
            print(f"{name:28} {bs:9.2f} {as_:9.2f} {bs / as_:6.1f}x {bc:10.2f} {ac:9.2f} {bm:10.0f} {am:9.0f}  {target}")
        print("\nheavy modules imported (before -> after):")
        for name, old, new, *_ in CASES[1:]:
            print(f"  {name:28} {heavy_modules(old[2], str(base))}  ->  {heavy_modules(new[2], None)}")
    finally:
        subprocess.run(['git', '-C', str(ROOT), 'worktree', 'remove', '--force', str(base)], capture_output=True)

if __name__ == '__main__': main()
