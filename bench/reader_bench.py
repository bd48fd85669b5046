#!/usr/bin/env python
"""Speed of the readers on real files, against a baseline version of the library measured in the same run.

The baseline is the package as it was at git revision `--base` (default: the commit before the reader contracts of
issue 14), extracted with `git archive` into a temporary folder and imported from there in a separate process; the
current one is this checkout. Each reader runs on the same real data (../shared/data, or the committed fixture),
alternating baseline and current `--repeats` times; the table shows the best time of each and current/baseline.

    .venv/bin/python bench/reader_bench.py [--base 145b6f5] [--repeats 3]
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One script per reader, run as `python -c` with the package to measure first on sys.path; prints seconds.
SETUP = '''
import sys, time, json, csv, io, os
sys.path.insert(0, {pkg!r})
import quickdraw_nb
assert quickdraw_nb.__file__.startswith({pkg!r}), quickdraw_nb.__file__
from pathlib import Path
data, tmp = Path({data!r}), Path({tmp!r})
'''
CASES = {
    'read_ndjson simplified (all files)': '''
from quickdraw_nb.strokes import read_ndjson
files = sorted((data/'strokes'/'simplified').glob('*.ndjson'))
t = time.perf_counter(); n = sum(1 for f in files for _ in read_ndjson(f)); dt = time.perf_counter() - t
''',
    'read_ndjson raw (all files)': '''
from quickdraw_nb.strokes import read_ndjson
files = sorted((data/'strokes'/'raw').glob('*.ndjson'))
t = time.perf_counter(); n = sum(1 for f in files for _ in read_ndjson(f)); dt = time.perf_counter() - t
''',
    'read_kaggle_csv (simplified, as CSV)': '''
from quickdraw_nb.strokes import read_kaggle_csv
t = time.perf_counter(); n = sum(1 for _ in read_kaggle_csv(tmp/'all.csv')); dt = time.perf_counter() - t
''',
    'check_stroke_file full (simplified)': '''
from quickdraw_nb.strokes import check_stroke_file
files = sorted((data/'strokes'/'simplified').glob('*.ndjson'))[:100]
t = time.perf_counter(); n = sum(check_stroke_file(f, full=True) for f in files); dt = time.perf_counter() - t
''',
    'load_bitmaps (every bitmap file)': '''
from quickdraw_nb.bitmaps import load_bitmaps
t = time.perf_counter(); n = len(load_bitmaps(data/'bitmap')); dt = time.perf_counter() - t
''',
    'render 28px (simplified drawings)': '''
from quickdraw_nb.strokes import read_ndjson
from quickdraw_nb.render import render
ds = [d for f in sorted((data/'strokes'/'simplified').glob('*.ndjson'))[:150] for d in read_ndjson(f)]
render(ds[:10])
t = time.perf_counter(); n = sum(len(render(ds[i:i + 512])) for i in range(0, len(ds), 512)); dt = time.perf_counter() - t
''',
    'simplify_drawing (raw drawings)': '''
from quickdraw_nb.strokes import read_ndjson, simplify_drawing
ds = [d for f in sorted((data/'strokes'/'raw').glob('*.ndjson'))[:40] for d in read_ndjson(f)]
simplify_drawing(ds[0])
t = time.perf_counter(); n = sum(1 for d in ds if simplify_drawing(d)); dt = time.perf_counter() - t
''',
    'safe_path (5,000 paths)': '''
from quickdraw_nb.imagefolder import safe_path
(tmp/'images'/'cat').mkdir(parents=True, exist_ok=True)
for i in range(50): (tmp/'images'/'cat'/f'{i}.png').write_bytes(b'x')
t = time.perf_counter(); n = sum(1 for i in range(5000) if safe_path(tmp, f'images/cat/{i % 50}.png')); dt = time.perf_counter() - t
''',
}
REPORT = "\nprint(json.dumps(dict(seconds=dt, n=n)))\n"

def run(pkg, data, tmp, case):
    code = SETUP.format(pkg=str(pkg), data=str(data), tmp=str(tmp)) + CASES[case] + REPORT
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp,
                         env=dict(os.environ, OMP_NUM_THREADS='1', NUMBA_NUM_THREADS='1'))
    if out.returncode: raise SystemExit(f"{case} failed with {pkg}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--base', default='145b6f5', help='git revision of the baseline')
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--cases', default='', help='comma-separated substrings of case names (default: all)')
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from quickdraw_nb.testing import qd_data
    from quickdraw_nb.strokes import read_ndjson, write_kaggle_csv
    data = qd_data()
    work = Path(tempfile.mkdtemp(prefix='reader-bench-'))
    base = work/'base'; base.mkdir()
    subprocess.run(f"git -C {ROOT} archive {args.base} quickdraw_nb | tar -x -C {base}", shell=True, check=True)
    tmp = work/'tmp'; tmp.mkdir()
    write_kaggle_csv((d for f in sorted((data/'strokes'/'simplified').glob('*.ndjson')) for d in read_ndjson(f)), tmp/'all.csv')
    cases = [c for c in CASES if not args.cases or any(k in c for k in args.cases.split(','))]
    print(f"data: {data}; baseline: {args.base}; best of {args.repeats}, alternating\n")
    print("| reader | items | baseline s | current s | current / baseline |\n|---|---:|---:|---:|---:|")
    for case in cases:
        best = {}
        for _ in range(args.repeats):
            for name, pkg in (('base', base), ('current', ROOT)):
                r = run(pkg, data, tmp, case)
                best[name] = min(best.get(name, 1e9), r['seconds']); n = r['n']
        print(f"| {case} | {n:,} | {best['base']:.3f} | {best['current']:.3f} | {best['current'] / best['base']:.2f} |", flush=True)

if __name__ == '__main__': main()
