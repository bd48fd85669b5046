#!/usr/bin/env python
"""Single-drawing CPU latency: PyTorch (`quickdraw_nb.inference.Predictor`) against onnxruntime (`OnnxPredictor`)
on the same model, exported with the preprocessing inside. The two are called alternately, drawing after drawing
(real Quick, Draw! bitmaps), so both see the same machine state; the script prints median and 90th-percentile
latency of each and the ratio PyTorch / onnxruntime.

Two levels are timed: `predict(drawing, k=3)` (input checks, preprocessing, network, top-3: what a server calls)
and the runtime call alone on an already prepared uint8 tensor.

    .venv/bin/python bench/onnx_latency.py [--model FOLDER] [--arch resnet18] [--runs 300] [--threads 1]

Without --model it saves an untrained `--arch` for the shared bitmap categories into a temporary folder
(latency does not depend on the values of the weights).
"""
import argparse, os, statistics, tempfile, time
from pathlib import Path
import numpy as np, torch
from quickdraw_nb.testing import shared_data
from quickdraw_nb.bitmaps import load_bitmaps
from quickdraw_nb.datablock import bitmap_dataloaders
from quickdraw_nb.learner import timm_learner, save_model
from quickdraw_nb.inference import Predictor, OnnxPredictor, export_onnx

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default=None, help='folder written by save_model (default: an untrained --arch)')
    ap.add_argument('--arch', default='resnet18')
    ap.add_argument('--data', default=None, help='folder of <category>.npy files (default: ../shared/data/quickdraw/bitmap)')
    ap.add_argument('--runs', type=int, default=300, help='timed calls per runtime and level')
    ap.add_argument('--threads', type=int, default=1, help='CPU threads for both runtimes')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    bm = load_bitmaps(args.data or shared_data('quickdraw/bitmap'), max_per_cat=20)
    folder = Path(args.model) if args.model else save_model(timm_learner(bitmap_dataloaders(bm, bs=64), args.arch), Path(tempfile.mkdtemp())/'model')
    pt = Predictor.from_folder(folder)
    export_onnx(pt, folder/'model.onnx')
    ox = OnnxPredictor.from_folder(folder, threads=args.threads)
    drawings = [d.numpy() for d in bm.images[torch.randperm(len(bm), generator=torch.Generator().manual_seed(0))[:100]]]
    prepared = [pt.prepare(d) for d in drawings]
    levels = {'predict(drawing, k=3)': lambda p, i: p.predict(drawings[i % len(drawings)], k=3),
              'runtime call only': lambda p, i: p._probs(prepared[i % len(prepared)])}
    times = {(lvl, name): [] for lvl in levels for name in ('PyTorch', 'onnxruntime')}
    for lvl, fn in levels.items():
        for i in range(20): fn(pt, i); fn(ox, i)  # warm-up
        for i in range(args.runs):
            for name, p in (('PyTorch', pt), ('onnxruntime', ox)) if i % 2 == 0 else (('onnxruntime', ox), ('PyTorch', pt)):
                t0 = time.perf_counter(); fn(p, i); times[(lvl, name)].append(time.perf_counter() - t0)
    print(f"{pt.meta['arch']}, {len(pt.vocab)} classes, input {pt.meta['input_size'][0]}x{pt.meta['input_size'][1]}; one drawing per call, "
          f"{args.runs} calls each, alternating; {args.threads} thread(s); torch {torch.__version__}, {os.cpu_count()} CPUs")
    for lvl in levels:
        med = {name: statistics.median(times[(lvl, name)]) * 1e3 for name in ('PyTorch', 'onnxruntime')}
        p90 = {name: np.percentile(times[(lvl, name)], 90) * 1e3 for name in ('PyTorch', 'onnxruntime')}
        print(f"  {lvl:22s} PyTorch {med['PyTorch']:7.3f} ms (p90 {p90['PyTorch']:.3f})   onnxruntime {med['onnxruntime']:7.3f} ms "
              f"(p90 {p90['onnxruntime']:.3f})   ratio PyTorch/onnxruntime {med['PyTorch']/med['onnxruntime']:.2f}x")

if __name__ == '__main__': main()
