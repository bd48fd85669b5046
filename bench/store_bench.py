#!/usr/bin/env python
"""The out-of-core store at scale: real drawings (the shared simplified strokes, all 345 categories) repeated with
small random jitter so that the size is real, built into a 28-px store and trained from for part of an epoch.

Prints, each phase run in a child process whose whole process tree is watched (psutil, every 0.1 s):
- peak resident memory while building the --n drawing store (2 worker processes) and while training from it
  (target: under 2 GB each): the sum over the process tree of PSS (resident pages, those shared by forked workers
  counted once) and of USS (private pages), and each process's ru_maxrss (RUSAGE_SELF, RUSAGE_CHILDREN);
- build throughput in drawings/s with 1 and 2 worker processes on --scaling_n drawings, from stroke files (the real
  drawings repeated: parse + render, the work the workers share) and from jittered bitmaps (copying);
- the training loader's images/s against the in-memory fast path (`bitmap_dataloaders` on --mem_n drawings held in
  memory) on the same model (sketch_cnn_s), loading alone and training (target: within 20%).
Generated files go under --scratch and are removed at the end.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/store_bench.py [--n 5000000] [--scratch scratch/store_bench]
"""
import argparse, json, os, resource, shutil, subprocess, sys, time
from pathlib import Path
import numpy as np

HERE = Path(__file__).resolve()

def base_drawings():
    "The shared simplified drawings of every category: `{category: [ndjson line, ...]}`."
    from quickdraw_nb.testing import shared_data
    src = shared_data('strokes/simplified')
    if src is None: sys.exit("store_bench needs ../shared/data/quickdraw/strokes/simplified (all 345 categories)")
    out = {p.name[:-len('.ndjson')]: [l for l in p.read_text().splitlines() if l.strip()] for p in sorted(src.glob('*.ndjson'))}
    return src, out

_BASE = {}
def gen_bitmaps(n:int, out:Path, seed:int=0):
    "A folder of <category>.npy bitmaps holding `n` drawings: the real drawings rendered at 28 px, shifted by up to 2 px."
    from quickdraw_nb.strokes import read_drawings
    from quickdraw_nb.render import render
    src, cats = base_drawings()
    for c in cats:
        if c not in _BASE: _BASE[c] = render(list(read_drawings(src/f'{c}.ndjson')), 28)[:, 0]  # (k, 28, 28), rendered once
    per = -(-n // len(cats))
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for c in cats:
        base = _BASE[c]
        pad = np.pad(base, ((0, 0), (2, 2), (2, 2)))
        pick, dx, dy = rng.integers(0, len(base), per), rng.integers(0, 5, per), rng.integers(0, 5, per)
        arr = np.empty((per, 28, 28), np.uint8)
        for sx in range(5):
            for sy in range(5):
                m = (dx == sx) & (dy == sy)
                arr[m] = pad[pick[m], sy:sy + 28, sx:sx + 28]
        np.save(out/f'{c}.npy', arr.reshape(per, 784))
    return per * len(cats)

def gen_strokes(n:int, out:Path):
    "A folder of <category>.ndjson files holding `n` drawings: the real ones repeated (with new key ids), to time parsing and drawing."
    src, cats = base_drawings()
    per = -(-n // len(cats))
    out.mkdir(parents=True, exist_ok=True)
    for c, lines in cats.items():
        recs = [json.loads(l) for l in lines]
        with open(out/f'{c}.ndjson', 'w') as f:
            for i in range(per):
                r = recs[i % len(recs)]
                r['key_id'] = str(10**15 + i)
                f.write(json.dumps(r) + '\n')
    return per * len(cats)

def phase_build(a):
    from quickdraw_nb.store import build_store
    t0 = time.perf_counter()
    st = build_store(a.src, a.dest, workers=a.workers, progress=False)
    s = time.perf_counter() - t0
    return dict(n=len(st), seconds=round(s, 2), per_s=round(len(st) / s), shards=len(st.shards),
                bytes=sum(x['images']['bytes'] for x in st.shards))

def learner(dls):
    from quickdraw_nb.learner import timm_learner
    from fastai.torch_core import set_seed
    set_seed(0)
    return timm_learner(dls, 'sketch_cnn_s', mixed_precision=None)

def train_rate(learn, batches:int, warm:int=5) -> float:
    "Images/s of `batches` training batches of `learn` (after `warm` untimed ones), in one `fit` stopped early."
    from fastai.callback.core import Callback, CancelFitException
    state = dict(i=0, t0=None, items=0)
    class StopAfter(Callback):
        order = 99
        def after_batch(self):
            if not self.training: return
            state['i'] += 1
            if state['i'] == warm: state['t0'] = time.perf_counter()
            elif state['i'] > warm: state['items'] += len(self.yb[0])
            if state['i'] >= warm + batches: raise CancelFitException()
    with learn.no_bar(), learn.no_logging(): learn.fit(10_000, 1e-3, cbs=StopAfter())  # (stopped by StopAfter)
    return state['items'] / (time.perf_counter() - state['t0'])

def load_rate(dl, batches:int, warm:int=3) -> float:
    "Images/s of `batches` batches of `dl` (after `warm` untimed ones), starting new epochs as needed."
    def forever():
        while True: yield from dl
    it, n = forever(), 0
    for _ in range(warm): next(it)
    t0 = time.perf_counter()
    for _ in range(batches): n += len(next(it)[1])
    return n / (time.perf_counter() - t0)

def phase_train(a):
    "Train from the store alone (its memory is what the parent measures): loading rate, then `batches` training batches."
    import torch
    from quickdraw_nb.store import ShardedStore, store_dataloaders
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    st = ShardedStore(a.store)
    dls = store_dataloaders(st, bs=a.bs)
    setup = time.perf_counter() - t0
    plain = store_dataloaders(st, bs=a.bs, aug=False, normalize=False)
    return dict(n=len(st), n_train=len(dls.train_ds), setup_s=round(setup, 1), load_per_s=round(load_rate(plain.train, 300)),
                train_per_s=round(train_rate(learner(dls), a.batches)))

def phase_compare(a):
    "The store's loaders against `bitmap_dataloaders` on --mem_n of its drawings held in memory, alternating rounds."
    import torch
    from quickdraw_nb.store import ShardedStore, store_dataloaders
    from quickdraw_nb.bitmaps import Bitmaps
    from quickdraw_nb.datablock import bitmap_dataloaders
    torch.set_num_threads(1)
    st = ShardedStore(a.store)
    rows = np.sort(np.random.default_rng(0).choice(len(st), min(a.mem_n, len(st)), replace=False))
    bm = Bitmaps(torch.from_numpy(st.images[rows][:, 0]), torch.from_numpy(st.labels[rows].astype(np.int64)), st.vocab)
    sides = dict(store=(store_dataloaders(st, bs=a.bs), store_dataloaders(st, bs=a.bs, aug=False, normalize=False)),
                 memory=(bitmap_dataloaders(bm, bs=a.bs), bitmap_dataloaders(bm, bs=a.bs, aug=False, normalize=False)))
    learners = {k: learner(dls) for k, (dls, _) in sides.items()}
    load, train = {k: [] for k in sides}, {k: [] for k in sides}
    for _ in range(a.rounds):  # alternating, so that a change in the machine's load hits both sides alike
        for k, (dls, plain) in sides.items():
            load[k].append(load_rate(plain.train, 100))
            train[k].append(train_rate(learners[k], a.cmp_batches, warm=2))
    med = lambda v: float(np.median(v))
    return dict(n_mem=len(bm), **{f'{k}_load_per_s': round(med(load[k])) for k in sides}, **{f'{k}_train_per_s': round(med(train[k])) for k in sides},
                train_rounds={k: [round(x) for x in v] for k, v in train.items()})

def run_child(args:list) -> dict:
    "Run this script's phase `args` in a child process; its result with the peak memory of its process tree (MB)."
    import psutil
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    p = subprocess.Popen([sys.executable, str(HERE), *map(str, args)], stdout=subprocess.PIPE, text=True, env=env)
    proc, peak_pss, peak_uss, peak_rss = psutil.Process(p.pid), 0, 0, 0
    while p.poll() is None:
        pss = uss = 0
        try:
            for q in [proc, *proc.children(recursive=True)]:
                mi = q.memory_full_info(); pss += mi.pss; uss += mi.uss; peak_rss = max(peak_rss, mi.rss)
        except psutil.Error: pass
        peak_pss, peak_uss = max(peak_pss, pss), max(peak_uss, uss)
        time.sleep(0.2)
    out = p.stdout.read()
    if p.returncode: sys.exit(f"phase {args[0]} failed ({p.returncode}):\n{out[-2000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res.update(peak_tree_pss_mb=round(peak_pss / 2**20), peak_tree_uss_mb=round(peak_uss / 2**20), peak_rss_mb=round(peak_rss / 2**20))
    return res

def build_phases(a, root:Path):
    "The scaling runs, then the big store built into root/'store'."
    print(f"\n== build throughput, {a.scaling_n:,} drawings, 1 and 2 worker processes")
    t0 = time.perf_counter(); n = gen_strokes(a.scaling_n, root/'strokes_in'); print(f"(stroke files: {n:,} drawings in {time.perf_counter() - t0:.0f}s)")
    gen_bitmaps(a.scaling_n, root/'bitmaps_small')
    scaling = {}
    for kind, src in (('strokes', root/'strokes_in'), ('bitmaps', root/'bitmaps_small')):
        for w in (1, 2):
            r = run_child(['--phase', 'build', '--src', src, '--dest', root/f'scale_{kind}_{w}', '--workers', w])
            scaling[kind, w] = r
            print(f"{kind:8s} {w} worker{'s' if w > 1 else ' '}: {r['n']:,} drawings in {r['seconds']:.1f}s = {r['per_s']:,} drawings/s; "
                  f"peak memory {r['peak_tree_pss_mb']:,} MB (process tree PSS; largest process RSS {r['peak_rss_mb']:,} MB)")
            shutil.rmtree(root/f'scale_{kind}_{w}')
        print(f"{kind:8s} scaling 2 vs 1 workers: x{scaling[kind, 2]['per_s'] / scaling[kind, 1]['per_s']:.2f}")
    shutil.rmtree(root/'strokes_in'); shutil.rmtree(root/'bitmaps_small')

    print(f"\n== {a.n:,} drawings: jittered bitmaps -> 28-px store (2 worker processes)")
    t0 = time.perf_counter(); n = gen_bitmaps(a.n, root/'bitmaps_in'); print(f"(jittered bitmap files: {n:,} drawings in {time.perf_counter() - t0:.0f}s)")
    b = run_child(['--phase', 'build', '--src', root/'bitmaps_in', '--dest', root/'store', '--workers', 2])
    print(f"build: {b['n']:,} drawings ({b['bytes'] / 2**30:.2f} GB of images, {b['shards']} shards) in {b['seconds']:.0f}s = {b['per_s']:,} drawings/s")
    print(f"build peak memory: process tree PSS {b['peak_tree_pss_mb']:,} MB (private USS {b['peak_tree_uss_mb']:,} MB); "
          f"maxrss of the main process {b['self_maxrss_mb']:,} MB, of a worker {b['workers_maxrss_mb']:,} MB (target < 2048 MB)")
    shutil.rmtree(root/'bitmaps_in')

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=5_000_000, help='drawings in the big store')
    ap.add_argument('--scaling_n', type=int, default=200_000, help='drawings of each 1- and 2-worker build')
    ap.add_argument('--mem_n', type=int, default=200_000, help='drawings held in memory for the in-memory fast path')
    ap.add_argument('--batches', type=int, default=200, help='training batches timed from the store (after 5 warm-up ones)')
    ap.add_argument('--rounds', type=int, default=3, help='alternating rounds of the store vs in-memory comparison')
    ap.add_argument('--cmp_batches', type=int, default=20, help='training batches timed per side and round in the comparison')
    ap.add_argument('--bs', type=int, default=256)
    ap.add_argument('--scratch', default=str(HERE.parent.parent/'scratch'/'store_bench'))
    ap.add_argument('--keep', action='store_true', help='keep the generated files')
    ap.add_argument('--reuse', action='store_true', help='train from the complete store a killed run left in --scratch; no scaling runs')
    ap.add_argument('--phase', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--src', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--dest', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--store', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--workers', type=int, default=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase:
        res = dict(build=phase_build, train=phase_train, compare=phase_compare)[a.phase](a)
        res.update(self_maxrss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                   workers_maxrss_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
        print(json.dumps(res)); return
    root = Path(a.scratch); root.mkdir(parents=True, exist_ok=True)
    need = 2 * a.n * 784 * 1.1 + 4 * a.scaling_n * 784 + a.scaling_n * 1000
    free = shutil.disk_usage(root).free
    print(f"scratch {root}: {free / 2**30:.1f} GB free, about {need / 2**30:.1f} GB needed")
    if free < need * 1.2: sys.exit("not enough free disk space: use --scratch elsewhere or a smaller --n")
    try:
        reuse = a.reuse and (root/'store'/'manifest.json').exists()
        if reuse: print(f"reusing {root/'store'}: no scaling runs, no build")
        else: build_phases(a, root)
        print(f"\n== training from the store: sketch_cnn_s, batches of {a.bs}, {a.batches} timed batches, 1 torch thread")
        t = run_child(['--phase', 'train', '--store', root/'store', '--batches', a.batches, '--bs', a.bs])
        print(f"store: {t['n']:,} drawings ({t['n_train']:,} training), DataLoaders ready in {t['setup_s']}s; loading {t['load_per_s']:,} images/s, "
              f"training {t['train_per_s']:,} images/s")
        print(f"training peak memory: process tree PSS {t['peak_tree_pss_mb']:,} MB (private USS {t['peak_tree_uss_mb']:,} MB); "
              f"maxrss {t['self_maxrss_mb']:,} MB (target < 2048 MB)")
        c = run_child(['--phase', 'compare', '--store', root/'store', '--bs', a.bs, '--mem_n', a.mem_n, '--rounds', a.rounds,
                       '--cmp_batches', a.cmp_batches])
        print(f"\n== store vs in memory ({c['n_mem']:,} of its drawings in a tensor, bitmap_dataloaders), same model, {a.rounds} alternating rounds, medians")
        print(f"loading (no augmentation): store {c['store_load_per_s']:,} vs in memory {c['memory_load_per_s']:,} images/s: "
              f"x{c['store_load_per_s'] / c['memory_load_per_s']:.2f}")
        print(f"training ({a.cmp_batches} batches a round): store {c['store_train_per_s']:,} vs in memory {c['memory_train_per_s']:,} images/s: "
              f"x{c['store_train_per_s'] / c['memory_train_per_s']:.2f} (target >= 0.8); rounds {c['train_rounds']}")
    finally:
        if not a.keep: shutil.rmtree(root, ignore_errors=True); print(f"\nremoved {root}")

if __name__ == '__main__': main()
