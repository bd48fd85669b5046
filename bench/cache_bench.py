#!/usr/bin/env python
"""Stroke cache: what the first epoch costs (parse every stroke file, render, write the memory-mapped cache, then
read it) against a later epoch (read the cache only), on the shared simplified drawings of all 345 categories.
For reference, also an epoch of the in-memory stroke pipeline (drawings parsed once, rendered every batch).
Measured in one run, repeated with a fresh cache folder each time; medians.

    OMP_NUM_THREADS=1 .venv/bin/python bench/cache_bench.py [--size 64] [--bs 256] [--repeats 3]
"""
import argparse, shutil, statistics, tempfile, time
from pathlib import Path
import torch
from quickdraw_nb.testing import shared_data
from quickdraw_nb.render import stroke_cache
from quickdraw_nb.strokeblock import load_strokes, stroke_dataloaders, cache_dataloaders

def epoch(dl):
    n = 0
    for xb, yb in dl: n += len(yb)
    return n

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--bs', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    src = shared_data('quickdraw/strokes/simplified')
    stroke_cache(src, tempfile.mkdtemp(), size=8, cats='cat', verbose=False)  # compile the renderer once
    first, later, inmem = [], [], []
    for _ in range(args.repeats):
        root = Path(tempfile.mkdtemp())
        t0 = time.process_time()
        cache = stroke_cache(src, root, size=args.size, verbose=False)
        build = time.process_time() - t0
        dl = cache_dataloaders(cache, bs=args.bs, valid_pct=0.2, normalize=False).train  # (not timed: the same for every pipeline)
        t0 = time.process_time(); n = epoch(dl); first.append(build + time.process_time() - t0)
        t0 = time.process_time(); epoch(dl); later.append(time.process_time() - t0)
        shutil.rmtree(root)
    ss = load_strokes(src)
    sdl = stroke_dataloaders(ss, bs=args.bs, size=args.size, aug=False, normalize=False)
    for _ in range(args.repeats):
        t0 = time.process_time(); epoch(sdl.train); inmem.append(time.process_time() - t0)
    f, l, m = (statistics.median(v) for v in (first, later, inmem))
    print(f"{len(cache)} drawings of {len(cache.vocab)} categories at {args.size}px, training epoch of {n} drawings, "
          f"batch size {args.bs}, 1 thread, CPU time, median of {args.repeats}")
    print(f"  first epoch (parse + render + write cache, then read it): {f:6.2f}s")
    print(f"  later epoch (cache reused, memory-mapped reads):           {l:6.2f}s   speed-up {f/l:.1f}x")
    print(f"  in-memory strokes, rendered every batch (no cache):        {m:6.2f}s   ({m/l:.1f}x a cached epoch)")

if __name__ == '__main__': main()
