#!/usr/bin/env python
"""Cut the committed test fixture `nbs/fixtures/quickdraw/` from the real data in `../shared/data/quickdraw/`.

    python tools/make_fixture.py [--src ../shared/data/quickdraw] [--dest nbs/fixtures/quickdraw]

Same layout as the shared folder; every byte is copied from it (npy rows, ndjson lines), in file order:
- `bitmap/<cat>.npy`: the first `BITMAP_ROWS` rows of the `BITMAP_CATS` categories (a valid .npy of those rows);
- `strokes/simplified/<cat>.ndjson`: the whole file for the `FULL_CATS` the tests look at closely, the first
  `SIMPLIFIED_FIRST` lines for every other category (all 345);
- `strokes/raw/<cat>.ndjson`: the whole file for `RAW_FULL_CATS`, and the first line of every category whose first
  drawing is under `RAW_MAX_LINE` bytes (and of `RAW_FIRST_CATS`) (raw drawings are large: this keeps many categories within the size budget).
The budget: at most 3 MB in all, no file over 1 MB (checked at the end).
"""
import argparse, sys
from pathlib import Path
import numpy as np

root = Path(__file__).resolve().parent.parent
BITMAP_CATS = ['apple', 'cat', 'eye', 'fish', 'owl', 'rainbow', 'sea turtle', 'tree']
BITMAP_ROWS = 200
FULL_CATS = ['apple', 'banana', 'cat', 'eye', 'fish', 'owl', 'rainbow', 'sea turtle', 'tree']
SIMPLIFIED_FIRST = 3
RAW_FULL_CATS = ['cat', 'fish', 'owl']
RAW_FIRST_CATS = ['sea turtle']  # the first line even when it is large
RAW_MAX_LINE = 4500

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--src', default=str(root.parent/'shared'/'data'/'quickdraw'))
    ap.add_argument('--dest', default=str(root/'nbs'/'fixtures'/'quickdraw'))
    a = ap.parse_args()
    src, dest = Path(a.src), Path(a.dest)
    (dest/'bitmap').mkdir(parents=True, exist_ok=True)
    for c in BITMAP_CATS:
        np.save(dest/'bitmap'/f'{c}.npy', np.load(src/'bitmap'/f'{c}.npy', mmap_mode='r')[:BITMAP_ROWS].copy())
    for fmt in ('simplified', 'raw'):
        (dest/'strokes'/fmt).mkdir(parents=True, exist_ok=True)
        for f in sorted((src/'strokes'/fmt).glob('*.ndjson')):
            lines = f.read_bytes().splitlines(keepends=True)
            if fmt == 'simplified': keep = lines if f.stem in FULL_CATS else lines[:SIMPLIFIED_FIRST]
            elif f.stem in RAW_FULL_CATS: keep = lines
            else: keep = [l for l in lines[:1] if len(l) < RAW_MAX_LINE or f.stem in RAW_FIRST_CATS]
            if keep: (dest/'strokes'/fmt/f.name).write_bytes(b''.join(keep))
    sizes = {p: p.stat().st_size for p in dest.rglob('*') if p.is_file()}
    total, big = sum(sizes.values()), [p for p, s in sizes.items() if s > 1_000_000]
    print(f'{len(sizes)} files, {total/1e6:.2f} MB in {dest}')
    if total > 3_000_000 or big: sys.exit(f'over budget: {total:,} bytes; files over 1 MB: {big}')

if __name__ == '__main__': main()
