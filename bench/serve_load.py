#!/usr/bin/env python
"""Bounded load test of the HTTP API (`quickdraw_nb.serve`) on 127.0.0.1.

Starts uvicorn with `quickdraw_nb.serve:app_from_env` in a separate process, then posts real drawings from the shared
stroke files (simplified and raw, alternating) to /predict/strokes: `--requests` requests, at most `--concurrency` in
flight. Prints throughput, p50/p90/p99 latency and the number of errors (anything but a 200 with 3 predictions).

    OMP_NUM_THREADS=1 .venv/bin/python bench/serve_load.py                      # trains a small model first (qd_train's code, ~1 min)
    OMP_NUM_THREADS=1 .venv/bin/python bench/serve_load.py --model results/bitmap15/model --requests 2000 --concurrency 16
"""
import argparse, asyncio, json, os, socket, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

CATS = ['apple', 'eye', 'fish', 'rainbow', 'tree']

def train_small_model(out:Path) -> Path:
    "A resnet10t trained for two epochs on 5 categories of the shared bitmaps with `quickdraw_nb.train.train_bitmaps`; its model folder."
    from quickdraw_nb.testing import shared_data
    from quickdraw_nb.train import train_bitmaps
    import contextlib, io
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):  # no progress bars in the benchmark's output
        train_bitmaps(data=shared_data()/'bitmap', cats=','.join(CATS), max_per_cat=300, arch='resnet10t', epochs=2, bs=64, lr=1e-2, out=out)
    print(log.getvalue().strip().splitlines()[-1][-160:])  # train_bitmaps' summary line
    return out/'model'

def payloads(n_per_cat:int=40) -> list[bytes]:
    "JSON bodies of real drawings: each drawing once as simplified strokes and once as raw strokes."
    from quickdraw_nb.testing import shared_data
    from quickdraw_nb.strokes import read_ndjson
    out = []
    for cat in CATS:
        for fmt in ('simplified', 'raw'):
            for d in read_ndjson(shared_data()/f'strokes/{fmt}/{cat}.ndjson', max_per_cat=n_per_cat):
                out.append(json.dumps(dict(drawing=[s.tolist() for s in d.strokes], format=fmt, k=3)).encode())
    return out

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

async def load(url:str, bodies:list[bytes], n:int, concurrency:int):
    import httpx
    lat, errors, sem = [], [], asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        async def one(i):
            async with sem:
                t0 = time.perf_counter()
                try:
                    r = await client.post('/predict/strokes', content=bodies[i % len(bodies)], headers={'content-type': 'application/json'})
                    ok = r.status_code == 200 and len(r.json()['predictions']) == 3
                    if not ok: errors.append(f"{r.status_code} {r.text[:200]}")
                except Exception as e: errors.append(f"{type(e).__name__}: {e}")
                lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - t0
        healthy = (await client.get('/health')).status_code == 200
    return np.array(lat), errors, wall, healthy

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', help='model folder written by save_model (default: train a small one in a temporary folder)')
    ap.add_argument('--requests', type=int, default=2000)
    ap.add_argument('--concurrency', type=int, default=16)
    ap.add_argument('--workers', type=int, default=1, help='uvicorn worker processes')
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(args.model) if args.model else train_small_model(Path(tmp)/'results')
        bodies = payloads()
        port = free_port()
        env = dict(os.environ, QD_SERVE_MODEL=str(model), OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
        server = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'quickdraw_nb.serve:app_from_env', '--factory', '--host', '127.0.0.1',
                                   '--port', str(port), '--workers', str(args.workers), '--log-level', 'warning'], env=env)
        try:
            url = f'http://127.0.0.1:{port}'
            import httpx
            for _ in range(600):
                try:
                    if httpx.get(url + '/health', timeout=1).status_code == 200: break
                except httpx.HTTPError: pass
                if server.poll() is not None: sys.exit(f"server exited with {server.returncode}")
                time.sleep(0.1)
            asyncio.run(load(url, bodies, 50, args.concurrency))  # warm-up (not counted)
            lat, errors, wall, healthy = asyncio.run(load(url, bodies, args.requests, args.concurrency))
        finally:
            server.terminate(); server.wait(10)
    ms = lat * 1000
    print(f"{args.requests} requests to /predict/strokes at concurrency {args.concurrency} ({len(bodies)} real drawings, simplified and raw; "
          f"{args.workers} uvicorn worker{'s' if args.workers > 1 else ''}, OMP_NUM_THREADS={env['OMP_NUM_THREADS']})")
    print(f"throughput {args.requests / wall:.0f} requests/s over {wall:.1f}s")
    print(f"latency p50 {np.percentile(ms, 50):.1f} ms  p90 {np.percentile(ms, 90):.1f} ms  p99 {np.percentile(ms, 99):.1f} ms  max {ms.max():.1f} ms")
    print(f"errors {len(errors)}" + (f" (first: {errors[0]})" if errors else '') + f"; server healthy after the run: {healthy}")
    sys.exit(1 if errors or not healthy else 0)

if __name__ == '__main__': main()
