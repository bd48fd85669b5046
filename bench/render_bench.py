#!/usr/bin/env python
"""Rasterizer speed: quickdraw_nb.render (compiled, anti-aliased) against a straightforward PIL renderer that draws
each segment with ImageDraw.line plus a round dot at every point (same geometry: centred, 16-unit lines, 16-unit
padding; PIL lines are not anti-aliased), and against the same PIL renderer anti-aliased the usual way (drawn at
4x the size, then box-downsampled). Same real drawings (the shared simplified strokes), one process, one thread,
CPU time, measured in one run with the renderers alternating, at 28, 64 and 128 px. All start from `Drawing`
objects, so our packing is included in our time. Also prints how far each is from the official 28x28 bitmaps.

    OMP_NUM_THREADS=1 .venv/bin/python bench/render_bench.py [--n 2000] [--repeats 5]
"""
import argparse, os, statistics, time
import numpy as np
from PIL import Image, ImageDraw
from quickdraw_nb.core import BITMAP15, QD_CATEGORIES
from quickdraw_nb.testing import shared_data
from quickdraw_nb.strokes import read_ndjson
from quickdraw_nb.render import render, match_bitmaps

def pil_render(d, size, line_width=16., padding=16.):
    "The baseline: one ImageDraw.line per segment and a dot per point (round joins and caps), on an L image."
    s = size / (256 + 2*padding + line_width)
    pts = [s_[:2].T for s_ in d.strokes]
    allp = np.concatenate(pts)
    shift = (256 - (allp.min(0) + allp.max(0))) / 2 + padding + line_width/2
    img = Image.new('L', (size, size), 0)
    draw = ImageDraw.Draw(img)
    w, r = max(1, round(line_width*s)), line_width*s/2
    for p in pts:
        q = ((p + shift) * s).tolist()
        for a, b in zip(q[:-1], q[1:]): draw.line([tuple(a), tuple(b)], fill=255, width=w)
        for x, y in q: draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(img)

def pil_render_aa(d, size, factor=4):
    "The anti-aliased baseline: `pil_render` at `factor` times the size, box-downsampled."
    big = Image.fromarray(pil_render(d, size*factor))
    return np.asarray(big.resize((size, size), Image.BOX))

def rate(fn, n):
    t0 = time.process_time(); fn(); return n / (time.process_time() - t0)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=2000, help='drawings per measurement')
    ap.add_argument('--repeats', type=int, default=5)
    args = ap.parse_args()
    folder = shared_data('quickdraw/strokes/simplified')
    drawings = [d for c in sorted(QD_CATEGORIES) for d in read_ndjson(folder/f'{c}.ndjson')][:args.n]
    render(drawings[:4], 28); render(drawings[:4], 64)  # compile / warm up
    print(f"{len(drawings)} real drawings ({np.mean([d.n_points for d in drawings]):.0f} points, "
          f"{np.mean([d.n_strokes for d in drawings]):.1f} strokes on average), drawings/s on 1 thread (CPU time), "
          f"median of {args.repeats} alternating runs")
    for size in (28, 64, 128):
        ours, base, base_aa = [], [], []
        for _ in range(args.repeats):
            ours.append(rate(lambda: render(drawings, size), len(drawings)))
            base.append(rate(lambda: [pil_render(d, size) for d in drawings], len(drawings)))
            base_aa.append(rate(lambda: [pil_render_aa(d, size) for d in drawings], len(drawings)))
        o, b, a = statistics.median(ours), statistics.median(base), statistics.median(base_aa)
        print(f"  {size:3d} px: quickdraw_nb {o:8,.0f}/s | PIL per segment {b:7,.0f}/s, ratio {o/b:4.1f}x | "
              f"PIL 4x supersampled {a:7,.0f}/s, ratio {o/a:5.1f}x")
    # fidelity against the official bitmaps (pairs found by best match, see nbs/04_render)
    bitmaps = shared_data('quickdraw/bitmap')
    mads = {'quickdraw_nb': [], 'PIL per segment': [], 'PIL 4x supersampled': []}
    for c in BITMAP15:
        ds = list(read_ndjson(folder/f'{c}.ndjson')); bm = np.load(bitmaps/f'{c}.npy')
        _, mad, ok = match_bitmaps(render(ds, 28)[:, 0], bm); mads['quickdraw_nb'].append(mad[ok])
        _, mad, ok = match_bitmaps(np.stack([pil_render(d, 28) for d in ds]), bm); mads['PIL per segment'].append(mad[ok])
        _, mad, ok = match_bitmaps(np.stack([pil_render_aa(d, 28) for d in ds]), bm); mads['PIL 4x supersampled'].append(mad[ok])
    for k, v in mads.items():
        v = np.concatenate(v); print(f"  28 px fidelity, {k:19s}: mean |difference| to the official bitmap {v.mean():5.2f} / 255 over {len(v)} matched drawings")

if __name__ == '__main__': main()
