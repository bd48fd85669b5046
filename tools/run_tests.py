#!/usr/bin/env python
"""The project's test command (called by `make test` and `.ci/run`).

Runs nbdev's own notebook tester (`nbdev.test.test_nb`, what `nbdev_test` runs) on every notebook,
plus repository checks ([check] lines: the library matches the notebooks, README.md matches nbs/index.ipynb,
exported lines are at most 120 characters,
`nbdev_clean` leaves the notebooks unchanged, the docs site builds with every internal link resolving; the docs
check is left out with --only), and ends with one line `N passed, N failed`.

    python tools/run_tests.py                    # all notebooks, skipping cells flagged slow/cuda
    python tools/run_tests.py --flags slow       # also run cells flagged slow
    python tools/run_tests.py --only 02_bitmaps  # notebooks whose path contains this text
"""
import argparse, os, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def check_export():
    "`nbdev_export` must leave `quickdraw_nb/` unchanged: the library matches the notebooks."
    subprocess.run([sys.executable, '-c', 'from nbdev.doclinks import nbdev_export; nbdev_export.__wrapped__()'],
                   cwd=root, check=True)
    if not (root/'.git').exists(): return True, 'not a git checkout: skipped'
    out = subprocess.run(['git', 'status', '--porcelain', '--', 'quickdraw_nb'], cwd=root,
                         capture_output=True, text=True).stdout.strip()
    return (not out), (f'nbdev_export changed:\n{out}' if out else 'library matches notebooks')

def check_readme():
    "README.md must be what `tools/make_readme.py` makes of nbs/index.ipynb."
    r = subprocess.run([sys.executable, str(root/'tools'/'make_readme.py'), '--check'], cwd=root, capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()

def check_clean():
    "`nbdev_clean` must leave every notebook unchanged (CI checks a clean checkout): run it on copies and compare."
    import shutil, tempfile
    from nbdev.clean import nbdev_clean
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    nbs = get_config().nbs_path
    changed = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(Path(f) for f in nbglob(nbs, as_path=True)):
            copy = Path(tmp)/f.relative_to(nbs)
            copy.parent.mkdir(parents=True, exist_ok=True); shutil.copy(f, copy)
            nbdev_clean(fname=str(copy))
            if copy.read_bytes() != f.read_bytes(): changed.append(str(f.relative_to(root)))
    return (not changed), (f'nbdev_clean would change: {", ".join(changed)} (run `make clean-nbs`)' if changed else 'notebooks are clean')

MAX_LINE = 120  # the project's line length for exported code

def check_line_length():
    "Every line of the exported library is at most `MAX_LINE` characters, except nbdev's own `__all__` and `_modidx.py`."
    long = []
    for f in sorted((root/'quickdraw_nb').glob('*.py')):
        if f.name == '_modidx.py': continue
        in_all = False
        for i, line in enumerate(f.read_text(encoding='utf-8').splitlines(), 1):
            in_all = line.startswith('__all__ = [') or (in_all and line.startswith(' ' * 11))  # nbdev wraps it itself
            if len(line) > MAX_LINE and not in_all: long.append(f"{f.name}:{i} ({len(line)})")
    return (not long), (f"{len(long)} exported lines over {MAX_LINE} characters: {', '.join(long[:10])}"
                        + (' ...' if len(long) > 10 else '') if long else f'exported lines are at most {MAX_LINE} characters')

def check_docs():
    "The docs site builds (tools/build_docs.py --check): every notebook gives a page and every internal link resolves."
    r = subprocess.run([sys.executable, str(root/'tools'/'build_docs.py'), '--check'], cwd=root, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    return r.returncode == 0, (out.splitlines()[-1] if r.returncode == 0 and out else out[-3000:])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--flags', default='', help='space-separated test flags to run (e.g. "slow")')
    ap.add_argument('--only', default='', help='run only notebooks whose path contains this text')
    ap.add_argument('--n_workers', type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args()
    os.chdir(root)
    # one BLAS/OpenMP thread per worker so parallel notebooks don't oversubscribe the cores
    if args.n_workers > 1: os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1)//args.n_workers)))
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    from fastcore.parallel import parallel
    from nbdev.test import test_nb
    cfg = get_config()
    results = []
    t0 = time.time()
    ok, msg = check_export()
    print(f"{'PASS' if ok else 'FAIL'}  [check] nbdev_export: {msg}", flush=True)
    results.append(ok)
    ok, msg = check_readme()
    print(f"{'PASS' if ok else 'FAIL'}  [check] README: {msg}", flush=True)
    results.append(ok)
    ok, msg = check_line_length()
    print(f"{'PASS' if ok else 'FAIL'}  [check] line length: {msg}", flush=True)
    results.append(ok)
    for name, check in (('nbdev_clean', check_clean), ('docs', check_docs))[:1 if args.only else 2]:  # --only: no docs build
        t1 = time.time()
        ok, msg = check()
        print(f"{'PASS' if ok else 'FAIL'}  [check] {name}: {msg} ({time.time()-t1:.0f}s)", flush=True)
        results.append(ok)
    files = sorted(Path(f) for f in nbglob(cfg.nbs_path, as_path=True) if args.only in str(f))
    skip, force = cfg.tst_flags.split(), args.flags.split()
    print(f'testing {len(files)} notebooks with {args.n_workers} workers, skipping cells flagged {sorted(set(skip)-set(force))}', flush=True)
    res = parallel(test_nb, files, skip_flags=skip, force_flags=force, basepath=root, n_workers=args.n_workers, pause=0.01)
    for f, (ok, secs) in zip(files, res):
        print(f"{'PASS' if ok else 'FAIL'}  {f.relative_to(root)}  ({secs:.0f}s)", flush=True)
        results.append(ok)
    npass = sum(map(bool, results)); nfail = len(results) - npass
    print(f'total time {time.time()-t0:.0f}s')
    print(f'{npass} passed, {nfail} failed', flush=True)
    sys.exit(1 if nfail else 0)

if __name__ == '__main__': main()
