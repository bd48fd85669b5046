#!/usr/bin/env python
"""DataLoader throughput: quickdraw_nb's indexed fast path against a plain fastai DataBlock that makes one
PIL image per item. Same data (the real Quick, Draw! bitmaps), same split, same batch size, same batch
transforms, measured in one run, alternating the loaders so that both see the same machine state.

    .venv/bin/python bench/dataloader_bench.py [--data FOLDER] [--bs 256] [--repeats 3] [--aug]
"""
import argparse, os, time, statistics
import numpy as np, torch
from quickdraw_nb.testing import shared_data
from quickdraw_nb.bitmaps import load_bitmaps, stratified_split
from quickdraw_nb.datablock import bitmap_dataloaders, sketch_augment
from fastai.vision.all import DataBlock, ImageBlock, CategoryBlock, PILImageBW, IndexSplitter

class RowToPIL:
    "The baseline's get_x: row number -> one PIL image."
    def __init__(self, images): self.images = images.numpy()
    def __call__(self, i): return PILImageBW.create(self.images[i])

class RowToLabel:
    def __init__(self, labels, vocab): self.labels, self.vocab = labels.tolist(), vocab
    def __call__(self, i): return self.vocab[self.labels[i]]

def plain_fastai_dls(bm, valid_idx, bs, aug, num_workers):
    dblock = DataBlock(blocks=(ImageBlock(cls=PILImageBW), CategoryBlock(vocab=bm.vocab)),
                       get_x=RowToPIL(bm.images), get_y=RowToLabel(bm.labels, bm.vocab),
                       splitter=IndexSplitter(valid_idx), batch_tfms=sketch_augment() if aug else None)
    return dblock.dataloaders(list(range(len(bm))), bs=bs, num_workers=num_workers)

def images_per_s(dl, max_batches=None):
    "Iterate `dl` once (or `max_batches`), touching every batch; returns images/s."
    n, t0 = 0, time.perf_counter()
    for i, (xb, yb) in enumerate(dl):
        n += len(yb)
        if max_batches and i+1 >= max_batches: break
    return n / (time.perf_counter() - t0)

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--data', default=None, help='folder of <category>.npy files (default: ../shared/data/quickdraw/bitmap)')
    ap.add_argument('--bs', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--aug', action='store_true', help='apply the same sketch augmentation batch transforms to both')
    args = ap.parse_args()
    folder = args.data or shared_data('quickdraw/bitmap')
    bm = load_bitmaps(folder)
    _, valid_idx = stratified_split(bm.labels, 0.2, 42)
    fast = bitmap_dataloaders(bm, bs=args.bs, valid_idx=valid_idx, aug=args.aug, normalize=False)
    loaders = {'quickdraw_nb indexed (num_workers=0)': fast.train}
    for nw in (0, os.cpu_count()):
        loaders[f'plain fastai, PIL per item (num_workers={nw})'] = plain_fastai_dls(bm, valid_idx, args.bs, args.aug, nw).train
    for dl in loaders.values(): images_per_s(dl, max_batches=2)  # warm-up (worker start, first allocations)
    rates = {k: [] for k in loaders}
    for _ in range(args.repeats):
        for k, dl in loaders.items(): rates[k].append(images_per_s(dl))
    print(f"{len(bm)} drawings ({len(fast.train_ds)} in the training loader), batch size {args.bs}, "
          f"augmentation {'on' if args.aug else 'off'}, torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs; "
          f"median of {args.repeats} epochs each")
    med = {k: statistics.median(v) for k, v in rates.items()}
    for k, v in med.items(): print(f"  {k:48s} {v:10,.0f} images/s")
    ours = med['quickdraw_nb indexed (num_workers=0)']
    for k, v in med.items():
        if k.startswith('plain'): print(f"ratio fast path / {k}: {ours/v:.1f}x")

if __name__ == '__main__': main()
