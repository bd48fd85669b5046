"""Training images/s of the `bitmaps` recipe (sketch_cnn, bf16 autocast, channels-last, augmentation, EMA) against the old
main job (resnet18, float32, same augmentation), both in the real fastai training loop, interleaved in one run.
The ratio times the old main job's measured images/s on an idle machine projects the recipe's training time there.

    .venv/bin/python bench/recipe_throughput.py [--threads 2] [--max_per_cat 250] [--rounds 2]
"""
import argparse, torch
from quickdraw_nb.bitmaps import load_bitmaps
from quickdraw_nb.datablock import bitmap_dataloaders
from quickdraw_nb.learner import timm_learner, Throughput
from quickdraw_nb.recipes import bitmaps_recipe, recipe_dataloaders, recipe_learner

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=2); p.add_argument('--max_per_cat', type=int, default=250); p.add_argument('--rounds', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    bm = load_bitmaps('../shared/data/quickdraw/bitmap', max_per_cat=a.max_per_cat, seed=0)
    r = bitmaps_recipe()
    learners = {'resnet18 float32 (old make train)': timm_learner(bitmap_dataloaders(bm, bs=256), 'resnet18'),
                'bitmaps recipe (sketch_cnn bf16 + channels_last + EMA)': recipe_learner(recipe_dataloaders(r, bm), r)}
    ips = {k: [] for k in learners}
    for _ in range(a.rounds):
        for k, learn in learners.items():
            tp = Throughput()
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3, cbs=tp)
            ips[k].append(tp.items_per_s)
    base = max(ips['resnet18 float32 (old make train)'])
    for k, v in ips.items(): print(f"{k:58s} {max(v):7.0f} training images/s  {max(v) / base:5.2f}x")

if __name__ == '__main__': main()
