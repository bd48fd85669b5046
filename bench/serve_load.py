#!/usr/bin/env python
"""Load test of the HTTP API on 127.0.0.1: the server of an older commit ("before") against this checkout's ("after"), in one run.

The same model folder and the same 2,000 real drawings (the shared Quick, Draw! stroke files, posted as strokes to
/predict/strokes, simplified and raw alternating) are used for both. "before" is uvicorn with `quickdraw_nb.serve:app_from_env`
of the old commit (default 145b6f5, checked out in a temporary `git worktree`, PyTorch, one request per model call);
"after" is this checkout's `qd_serve` command (ONNX runtime when the model folder has a current model.onnx, dynamic
batching). For each server and each concurrency: requests/s, p50/p99 latency, errors (anything but a 200 with k
predictions) and the server's resident memory at the start and the end of the run. Also: how long after starting
`qd_serve` its /health answers.

The client is a small asyncio HTTP/1.1 client over keep-alive connections (cheap, so that the server gets the CPU).

    OMP_NUM_THREADS=1 .venv/bin/python bench/serve_load.py                     # trains a small model first (~2 min)
    .venv/bin/python bench/serve_load.py --model results/bitmap15/model --requests 20000 --base_requests 2000
"""
import argparse, asyncio, json, os, socket, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

def train_small_model(out:Path) -> Path:
    "A resnet10t trained for 1 epoch on 400 bitmaps of each of the 15 shared categories with the library's `train_bitmaps`; its model folder."
    from quickdraw_nb.testing import shared_data
    from quickdraw_nb.train import train_bitmaps
    import contextlib, io
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        train_bitmaps(data=shared_data()/'bitmap', max_per_cat=400, arch='resnet10t', epochs=1, bs=64, lr=1e-2, out=out, progress=False)
    print('model:', log.getvalue().strip().splitlines()[-1][-200:])
    return out/'model'

def payloads(n:int=2000, k:int=3) -> list[bytes]:
    "JSON bodies of `n` real drawings within the default `Limits`: the model's 15 categories first, then others; simplified and raw alternating."
    from quickdraw_nb.core import BITMAP15, QD_CATEGORIES
    from quickdraw_nb.testing import shared_data
    from quickdraw_nb.strokes import read_ndjson
    base = shared_data()/'strokes'
    cats = list(BITMAP15) + [c for c in QD_CATEGORIES if c not in BITMAP15]
    out = []
    for cat in cats:
        for fmt in ('simplified', 'raw'):
            f = base/fmt/f'{cat}.ndjson'
            if not f.exists(): continue
            for d in read_ndjson(f):
                if d.n_strokes > 200 or d.n_points > 20_000: continue  # over the server's default limits (answered 413)
                out.append(json.dumps(dict(drawing=[np.round(s, 1).tolist() for s in d.strokes], format=fmt, k=k)).encode())
                if len(out) == n: return out
    return out

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def rss_mb(pid:int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    return float('nan')

async def _conn_worker(port, bodies, next_i, n, lat, errors, k):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    try:
        while (i := next_i()) < n:
            body = bodies[i % len(bodies)]
            req = (b'POST /predict/strokes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
                   b'Content-Length: ' + str(len(body)).encode() + b'\r\n\r\n' + body)
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b'\r\n\r\n')
            status = int(head.split(b' ', 2)[1])
            length = next(int(l.split(b':')[1]) for l in head.split(b'\r\n') if l.lower().startswith(b'content-length:'))
            data = await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            if status != 200 or len(json.loads(data)['predictions']) != k: errors.append(f"{status} {data[:200]!r}")
    finally: writer.close()

async def load(port:int, bodies:list[bytes], n:int, concurrency:int, k:int=3):
    "Post `n` bodies with `concurrency` keep-alive connections; (latencies s, errors, wall s)."
    lat, errors, counter = [], [], iter(range(1 << 62))
    t0 = time.perf_counter()
    await asyncio.gather(*(_conn_worker(port, bodies, lambda: next(counter), n, lat, errors, k) for _ in range(concurrency)))
    return np.array(lat), errors, time.perf_counter() - t0

def wait_health(port:int, proc, timeout:float=300) -> float:
    "Seconds until /health answers 200."
    import urllib.request
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None: sys.exit(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=1) as r:
                if r.status == 200: return time.perf_counter() - t0
        except OSError: time.sleep(0.02)
    sys.exit('server did not answer /health')

def run_server(label, cmd, env, bodies, concurrencies, n):
    port = free_port()
    cmd = [c.replace('{port}', str(port)) for c in cmd]
    # cwd outside the checkout: `python -m uvicorn` puts the cwd first on sys.path, before the old commit's PYTHONPATH
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    rows = []
    try:
        health_s = wait_health(port, proc)  # seconds from starting the process
        asyncio.run(load(port, bodies, 200, 8))  # warm-up, not counted
        for c in concurrencies:
            rss0 = rss_mb(proc.pid)
            lat, errors, wall = asyncio.run(load(port, bodies, n, c))
            ms = lat * 1000
            rows.append(dict(server=label, c=c, n=n, rps=n / wall, p50=np.percentile(ms, 50), p99=np.percentile(ms, 99),
                             errors=len(errors), first_error=errors[0] if errors else '', rss0=rss0, rss1=rss_mb(proc.pid)))
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()
    return health_s, rows

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', help='model folder written by save_model (default: train a small one in a temporary folder)')
    ap.add_argument('--requests', type=int, default=20000, help='requests per concurrency, new server')
    ap.add_argument('--base_requests', type=int, default=2000, help='requests per concurrency, old server (slow: ~75/s)')
    ap.add_argument('--concurrency', type=int, nargs='+', default=[16, 64])
    ap.add_argument('--base_commit', default='145b6f5', help='the "before" commit')
    ap.add_argument('--max_batch', type=int, default=64)
    ap.add_argument('--max_wait_ms', type=float, default=2.)
    ap.add_argument('--runtimes', nargs='+', default=['auto'], help="qd_serve --runtime of each 'after' server, e.g. auto onnx-int8")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    base = tmp/'base'
    subprocess.run(['git', '-C', str(ROOT), 'worktree', 'add', '--detach', str(base), a.base_commit], check=True, capture_output=True)
    try:
        model = Path(a.model).resolve() if a.model else train_small_model(tmp/'results')
        if not (model/'model.onnx').exists():
            from quickdraw_nb.inference import Predictor, export_onnx
            export_onnx(Predictor.from_folder(model))
        bodies = payloads()
        n_raw = sum(b'"format": "raw"' in b for b in bodies)
        print(f"{len(bodies)} real drawings ({n_raw} raw), model {model} "
              f"({json.loads((model/'model.json').read_text())['arch']}, {len(json.loads((model/'model.json').read_text())['vocab'])} classes)")
        env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
        old_env = dict(env, QD_SERVE_MODEL=str(model), PYTHONPATH=str(base))
        old_cmd = [sys.executable, '-m', 'uvicorn', 'quickdraw_nb.serve:app_from_env', '--factory', '--host', '127.0.0.1', '--port', '{port}',
                   '--log-level', 'warning']
        new_env = {k: v for k, v in env.items() if k != 'PYTHONPATH'}
        new_cmd = [str(Path(sys.executable).with_name('qd_serve')), str(model), '--port', '{port}', '--max_batch', str(a.max_batch),
                   '--max_wait_ms', str(a.max_wait_ms)]
        h_old, rows_old = run_server(f'before ({a.base_commit})', old_cmd, old_env, bodies, a.concurrency, a.base_requests)
        rows_new = []
        for rt in a.runtimes:  # the first one's /health time is reported
            h, rows = run_server('after' + ('' if rt == 'auto' else f' ({rt})'), new_cmd + ['--runtime', rt], new_env, bodies,
                                 a.concurrency, a.requests)
            rows_new += rows
            if rt == a.runtimes[0]: h_new = h
    finally:
        subprocess.run(['git', '-C', str(ROOT), 'worktree', 'remove', '--force', str(base)], capture_output=True)
    print(f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={env['OMP_NUM_THREADS']}; /health answered {h_old:.1f}s (before) and {h_new:.1f}s (after) after the server process started\n")
    print(f"{'server':20} {'conc':>4} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'RSS MB start':>12} {'end':>6} {'change':>7}")
    for r in rows_old + rows_new:
        print(f"{r['server']:20} {r['c']:4d} {r['n']:8d} {r['rps']:7.0f} {r['p50']:7.1f} {r['p99']:7.1f} {r['errors']:6d} {r['rss0']:12.0f} {r['rss1']:6.0f} "
              f"{100 * (r['rss1'] / r['rss0'] - 1):+6.1f}%" + (f"  first error: {r['first_error']}" if r['errors'] else ''))
    for o, n in zip(rows_old * len(a.runtimes), rows_new): print(f"{n['server']}, concurrency {o['c']}: {n['rps'] / o['rps']:.1f}x requests/s, p99 {o['p99']:.0f} -> {n['p99']:.0f} ms")
    for target in (r for r in rows_new if r['c'] == 16):
        print(f"{target['server']}: target at concurrency 16 (>= 400 req/s, p99 <= 80 ms, 0 errors): "
              f"{'met' if target['rps'] >= 400 and target['p99'] <= 80 and not target['errors'] else 'NOT met'}")
    sys.exit(1 if any(r['errors'] for r in rows_new) else 0)

if __name__ == '__main__': main()
