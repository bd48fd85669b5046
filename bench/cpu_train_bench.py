"""Training speed on the CPU of three settings of the `strokes_pretrained` recipe, measured in one run, each side in its
own process (malloc settings are process-wide):

- `quickdraw_nb.learner.keep_freed_memory` (glibc keeps freed blocks for reuse instead of mapping and zeroing fresh
  pages each step), against glibc's defaults (`timm_learner(keep_memory=False)`);
- channels-last memory (the recipe's `channels_last`), against PyTorch's default layout;
- the stem and first two stages frozen (the recipe's `frozen_groups=3`, `quickdraw_nb.recipes.FreezeGroups`), against
  every layer trained.

    .venv/bin/python bench/cpu_train_bench.py [--arch tf_efficientnet_lite0] [--size 112] [--cats 60] [--epochs 2]

Each side builds the `strokes_pretrained` recipe's learner (`recipe_learner(..., keep_memory=...)`) on the first CATS
categories of ../shared/data/quickdraw/strokes/simplified, trains one epoch to warm up, then times EPOCHS epochs of
fastai's loop (training and validation) and counts the process's minor page faults.
"""
import argparse, json, resource, subprocess, sys, time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent/'shared/data/quickdraw/strokes/simplified'

SIDES = {'glibc defaults, channels-last': (False, True, 0), 'keep_freed_memory, channels-last': (True, True, 0),
         'keep_freed_memory, default layout': (True, False, 0),
         'keep_freed_memory, channels-last, 3 groups frozen': (True, True, 3)}

def one_side(keep:bool, channels_last:bool, frozen_groups:int, arch:str, size:int, cats:int, epochs:int) -> dict:
    "Train in this process; images/s of the timed epochs and their page faults."
    from quickdraw_nb.strokes import stroke_files
    from quickdraw_nb.strokeblock import load_strokes
    from quickdraw_nb.recipes import recipe, recipe_dataloaders, recipe_learner
    ds = load_strokes(DATA, list(stroke_files(DATA))[:cats])
    r = recipe('strokes_pretrained', arch=arch, pretrained=False, image_size=size, channels_last=channels_last,
               frozen_groups=frozen_groups)
    dls = recipe_dataloaders(r, ds)
    learn = recipe_learner(dls, r, keep_memory=keep)
    learn.remove_cb(learn.progress)
    learn.fit(1, 1e-3)  # warm-up: oneDNN's kernels, the first allocations
    f0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
    learn.fit(epochs, 1e-3)
    dt = time.perf_counter() - t0
    n = epochs * len(dls.train) * dls.train.bs
    return dict(keep_memory=keep, channels_last=channels_last, frozen_groups=frozen_groups, images_per_s=n / dt,
                seconds=dt,
                faults_per_image=(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--arch', default='tf_efficientnet_lite0'); p.add_argument('--size', type=int, default=112)
    p.add_argument('--cats', type=int, default=60); p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--side', choices=list(SIDES), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.side:  # a child process: one side, as JSON
        return print(json.dumps(one_side(*SIDES[a.side], a.arch, a.size, a.cats, a.epochs)))
    res = {}
    for side in SIDES:
        out = subprocess.run([sys.executable, __file__, '--side', side, '--arch', a.arch, '--size', str(a.size),
                              '--cats', str(a.cats), '--epochs', str(a.epochs)],
                             check=True, capture_output=True, text=True).stdout
        res[side] = json.loads(out.strip().splitlines()[-1])
        r = res[side]
        print(f"{side:>50}: {r['images_per_s']:6.1f} training images/s, {r['faults_per_image']:6.0f} page faults "
              f"per image", flush=True)
    base, keep, contiguous, frozen = (res[s]['images_per_s'] for s in SIDES)
    print(f"keep_freed_memory: {keep / base:.2f}x, channels-last: {keep / contiguous:.2f}x, "
          f"3 groups frozen: {frozen / keep:.2f}x "
          f"({a.arch}, {a.size} px, batches of 64, {a.epochs} epochs of fastai's loop)")

if __name__ == '__main__': main()
