"""Training throughput of the sketch models against resnet18 (the old main job's model), float32 vs bfloat16 autocast
and channels-last, measured in one run on this machine: prints images/s and the ratio to resnet18 in float32.

    .venv/bin/python bench/models_bench.py [--threads 2] [--bs 128] [--reps 3]

Ratios are what carry over between machines and loads; absolute images/s on a shared machine are upper bounds of the time.
"""
import argparse, time, torch, timm
import quickdraw_nb.models  # registers sketch_cnn, ...

def step(m, opt, x, y, bf16, cl):
    xx = x.contiguous(memory_format=torch.channels_last) if cl else x
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
        loss = torch.nn.functional.cross_entropy(m(xx).float(), y)
    opt.zero_grad(); loss.backward(); opt.step()

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=2); p.add_argument('--bs', type=int, default=128); p.add_argument('--reps', type=int, default=3)
    p.add_argument('--models', default='resnet18,sketch_cnn_s,sketch_cnn,sketch_cnn_m,sketch_resnet,sketch_vit_tiny')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x, y = torch.randn(a.bs, 1, 28, 28), torch.randint(0, 15, (a.bs,))
    runs = {}
    for name in a.models.split(','):
        for bf16, cl in [(False, False), (True, True)]:
            m = timm.create_model(name, num_classes=15, in_chans=1)
            if cl: m = m.to(memory_format=torch.channels_last)
            opt = torch.optim.AdamW(m.parameters())
            step(m, opt, x, y, bf16, cl)  # warm-up
            runs[name, bf16, cl] = (m, opt)
    times = {k: [] for k in runs}
    for _ in range(a.reps):  # interleaved, so that changes in the machine's load hit every configuration alike
        for k, (m, opt) in runs.items():
            t = time.perf_counter(); step(m, opt, x, y, k[1], k[2]); times[k].append(time.perf_counter() - t)
    base = a.bs / min(times['resnet18', False, False]) if ('resnet18', False, False) in times else None
    print(f"{'model':18s} {'precision':22s} {'params':>8s} {'img/s':>8s} {'x resnet18 fp32':>16s}")
    for (name, bf16, cl), ts in times.items():
        ips = a.bs / min(ts)
        n = sum(p.numel() for p in runs[name, bf16, cl][0].parameters()) / 1e6
        print(f"{name:18s} {'bf16 + channels_last' if bf16 else 'float32':22s} {n:7.2f}M {ips:8.0f} {ips / base if base else float('nan'):15.2f}x")

if __name__ == '__main__': main()
