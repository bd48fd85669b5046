#!/usr/bin/env python
"""Fuzz the readers, the rasterizer and the path checks against their contracts (issue 14).

Every input is a mutation of a real record or file (../shared/data, small slices), random bytes, or an extreme but
valid value. Each one runs in a worker process with a time limit, so a crash (an exception outside the contract,
or a dead process: SIGSEGV) or a hang (over `--timeout` seconds) is counted, not fatal. Per target it prints:

- inputs: how many were tried
- crashes: an exception other than `DataError` (or `FileNotFoundError` where the contract says so), or a dead worker
- hangs: over the time limit (`--timeout` seconds of the worker's CPU time for one input; a worker still busy after
  `--wall` times that of wall-clock time is killed and counted too)
- silently accepted: a clearly invalid input (as the target's oracle, written here independently of the library,
  judges it by the contract in the notebooks) that produced a result instead of a refusal
- wrongly refused (for information): a valid input refused

Targets are plain classes registered with `@target(name)`: `seeds()` loads real material once (in the parent),
`inputs(rng, n, seeds)` yields n picklable inputs, `modules` names what the worker imports before the clock starts, and `run(x)` executes one in the worker: it first sets
`self.invalid` (True: clearly invalid by the contract, False: valid, None: no opinion), then calls the library and
returns whether the result meets the output contract. `DataError` (or `FileNotFoundError`) from the library means
refused; `SilentlyAccepted` may be raised by `run` for an acceptance found on the way. Add a target (model folders,
YAML config, HTTP API...) by writing such a class in this file or in a module named with `--plugins`.

    .venv/bin/python bench/fuzz.py [--n 10000] [--targets ndjson,npy] [--workers 2] [--timeout 10] [--seed 0]
"""
import argparse, ast, contextlib, csv, gzip, io, json, math, os, random, socket, stat, struct, sys, tempfile, threading, time, traceback, zlib
import multiprocessing as mp
from collections import Counter, defaultdict
from pathlib import Path
import numpy as np

TARGETS = {}

def target(name):
    "Register a fuzz target class under `name`."
    def deco(cls): TARGETS[name] = cls; cls.name = name; return cls
    return deco

# ----------------------------------------------------------------------------------------------------------------------
# Shared helpers: real seeds and generic byte mutations

def shared(sub):
    "Real data: `../shared/data/quickdraw/<sub>` when present, else the committed test fixture."
    from quickdraw_nb.testing import qd_data
    return qd_data(sub)

CATS = ('cat', 'owl', 'eye', 'sea turtle', 'The Eiffel Tower', 'zigzag')

def seed_lines(kind, per_cat=8):
    out = []
    for c in CATS:
        if not (shared(f'strokes/{kind}')/f'{c}.ndjson').exists(): continue
        with open(shared(f'strokes/{kind}')/f'{c}.ndjson', 'rb') as f: out += [f.readline() for _ in range(per_cat)]
    return [l for l in out if l.strip()]

def byte_mutation(rng, b: bytes) -> bytes:
    "Truncate, flip, insert, delete or duplicate bytes, or splice in invalid UTF-8 / NUL / quotes / newlines."
    b = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(8)
        i = rng.randrange(len(b) + 1) if b else 0
        if k == 0: b = b[:i]
        elif k == 1 and b: b[min(i, len(b) - 1)] ^= 1 << rng.randrange(8)
        elif k == 2: b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif k == 3: del b[i:i + rng.randint(1, 16)]
        elif k == 4: b[i:i] = rng.choice([b'\xff\xfe', b'\xc3', b'\x00', b'"', b'\n', b'\r', b',', b'[', b']', b'{', b'}'])
        elif k == 5: b[i:i] = b[i:i + rng.randint(1, 64)]
        elif k == 6 and b: b[min(i, len(b) - 1)] = rng.randrange(256)
        else: b[i:i] = rng.choice([b'NaN', b'Infinity', b'-Infinity', b'1e400', b'9' * 30, b'true', b'null', b'-0'])
    return bytes(b)

def random_bytes(rng, n=None):
    return bytes(rng.randrange(256) for _ in range(n if n is not None else rng.randint(0, 300)))

# ----------------------------------------------------------------------------------------------------------------------
# The stroke-record oracle: the contract of notebooks/03_strokes, written again independently

LIM = dict(line=16 << 20, strokes=10_000, points=200_000, raw_xy=65_536., raw_t=1e8, ts=(0., 4102444800.))

def _is_text(v, n): return v is None or (isinstance(v, str) and len(v) <= n and v.isprintable())

def _ts_ok(v):
    from datetime import datetime, timezone
    if v is None or v == '': return True
    if type(v) in (int, float):
        try: t = float(v)
        except OverflowError: return False
    elif isinstance(v, str) and len(v) <= 64:
        t = None
        for fmt in ('%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S'):
            try: t = datetime.strptime(v.strip().removesuffix('UTC').strip(), fmt).replace(tzinfo=timezone.utc).timestamp(); break
            except ValueError: pass
        if t is None: return False
    else: return False
    return LIM['ts'][0] <= t < LIM['ts'][1]

def _key_ok(v):
    if v is None or v == '': return True
    if isinstance(v, str): return v.isascii() and v.isdigit() and len(v) <= 20 and int(v) < 2**64
    return type(v) is int and 0 <= v < 2**64

def _rec_ok(v, text):
    if v is None or type(v) is bool: return True
    return text and isinstance(v, str) and v.strip().lower() in ('true', 'false', '')

def drawing_ok(dr, fmt=None) -> bool:
    if not isinstance(dr, list) or not dr or len(dr) > LIM['strokes']: return False
    if fmt is None:
        first = dr[0]
        fmt = 'raw' if isinstance(first, list) and len(first) == 3 else 'simplified'
    rows, n = (3 if fmt == 'raw' else 2), 0
    for s in dr:
        if not isinstance(s, list) or len(s) != rows: return False
        if not all(isinstance(r, list) for r in s): return False
        if len({len(r) for r in s}) != 1 or not s[0]: return False
        n += len(s[0])
        if n > LIM['points']: return False
        for r in s:
            if not all(type(v) in (int, float) for v in r): return False
        try: a = np.array(s, dtype=np.float32)
        except OverflowError: return False
        if not np.isfinite(a).all(): return False
        if rows == 2 and (a.min() < 0 or a.max() > 255): return False
        if rows == 3 and (np.abs(a[:2]).max() > LIM['raw_xy'] or a[2].min() < 0 or a[2].max() > LIM['raw_t']): return False
    return True

def record_ok(rec, fmt=None, text=False) -> bool:
    if not isinstance(rec, dict) or 'drawing' not in rec: return False
    return (_is_text(rec.get('word'), 200) and _is_text(rec.get('countrycode'), 16) and _key_ok(rec.get('key_id'))
            and _rec_ok(rec.get('recognized'), text) and _ts_ok(rec.get('timestamp')) and drawing_ok(rec['drawing'], fmt))

def json_or_none(b):
    try: return json.loads(b.decode('utf-8') if isinstance(b, bytes) else b)
    except (ValueError, RecursionError): return None

def line_ok(line: bytes, fmt=None) -> bool:
    if len(line) > LIM['line']: return False
    rec = json_or_none(line)
    return rec is not None and record_ok(rec, fmt)

# structured mutations of a parsed record, each value either clearly invalid or valid by the contract
BAD_NUMBERS = [True, False, None, '12', [1], {}, float('nan'), float('inf'), -float('inf'), 10**400, 1e30, -1, 256, 255.5 + 1e-3]
def _coord_value(rng, fmt, row):
    if rng.random() < 0.5:  # valid
        if fmt == 'simplified': return rng.choice([0, 255, rng.randint(0, 255), float(rng.randint(0, 255)), 127.5])
        return rng.choice([0, 1e-3, 65_536.0 if row < 2 else 1e8, -65_536.0 if row < 2 else 0, rng.uniform(-3000, 3000) if row < 2 else rng.randint(0, 60_000)])
    return rng.choice(BAD_NUMBERS + ([1e9, -2000.0 if row == 2 else 1e7, 65_537.0] if fmt == 'raw' else [1000]))

FIELD_VALUES = dict(word=['cat', '', 'x' * 200, 'x' * 201, 3, True, ['cat'], 'ca\nt', None, 'sea turtle', '\u00e9t\u00e9'],
                    countrycode=['US', '', 'ZZ', 1, True, 'U\x00', 'x' * 17, None, ['US']],
                    key_id=['5201136883597312', '', None, 7, True, -1, 2**64, '12a', 1.5, '1' * 21, str(2**64 - 1), str(2**64)],
                    recognized=[True, False, None, 1, 0, 'true', 'yes', [True]],
                    timestamp=['2017-03-02 23:25:10.07453 UTC', '2017-03-02 23:25:10', '', None, 1488497110, True, float('nan'), -5,
                               10**400, 1e12, '9999-01-01 00:00:00', 'yesterday', [2017], '1969-12-31 23:59:59', 0])

def mutate_record(rng, rec):
    "A structural mutation of a parsed ndjson/CSV record (in place), or a replacement object."
    dr = rec.get('drawing')
    k = rng.randrange(10)
    if k < 4 and isinstance(dr, list) and dr:  # one coordinate
        fmt = 'raw' if len(dr[0]) == 3 else 'simplified'
        s = rng.choice(dr); r = rng.randrange(len(s)); row = s[r]
        if row: row[rng.randrange(len(row))] = _coord_value(rng, fmt, r)
    elif k < 6:  # one metadata field
        f = rng.choice(list(FIELD_VALUES)); v = rng.choice(FIELD_VALUES[f])
        if v is None and rng.random() < 0.5: rec.pop(f, None)
        else: rec[f] = v
    elif k == 6 and isinstance(dr, list) and dr:  # stroke structure
        s = rng.choice(dr); j = rng.randrange(6)
        if j == 0: s.pop()  # a row missing
        elif j == 1 and s[0]: s[0].pop()  # lengths differ
        elif j == 2: s.append(list(s[0]))  # a row too many
        elif j == 3: s[0] = [s[0]]  # nested one level deeper
        elif j == 4: s[:] = [[] for _ in s]  # no points
        else: dr.append(rng.choice([[], {}, 'x', 3, None]))
    elif k == 7:  # the drawing itself
        rec['drawing'] = rng.choice([[], {}, 'x', None, 3, [[]], dr])
        if rng.random() < 0.2: rec.pop('drawing')
    elif k == 8 and isinstance(dr, list) and dr and rng.random() < 0.4:  # extreme sizes (valid and not): slow, so fewer
        fmt_rows = len(dr[0]) if isinstance(dr[0], list) else 2
        one = [[rng.randint(0, 255)] for _ in range(fmt_rows)]
        if fmt_rows == 3: one[2] = [0]
        n = rng.choice([LIM['strokes'], LIM['strokes'] + 1])
        rec['drawing'] = [one] * n if rng.random() < 0.5 else [[[v[0]] * (LIM['points'] // 4 + rng.choice([0, 1])) for v in one]] * 4
    else:  # the record is not an object, or extra fields
        return rng.choice([[rec], 'x', 3, None, dict(rec, extra=[1, 2]), dict(rec, drawing=dr, word=rec.get('word'))])
    return rec

def deep_json(rng):
    n = rng.choice([50, 1000, 100_000])
    return ('{"word":"cat","drawing":' + '[' * n + ']' * n + '}').encode()

def mutated_line(rng, seeds):
    line = rng.choice(seeds)
    k = rng.random()
    if k < 0.55:
        rec = mutate_record(rng, json.loads(line))
        return json.dumps(rec, allow_nan=True).encode() + b'\n'
    if k < 0.9: return byte_mutation(rng, line)
    if k < 0.95: return deep_json(rng) + b'\n'
    return random_bytes(rng) + b'\n'

# ----------------------------------------------------------------------------------------------------------------------
# Targets: stroke files

class _Files:
    "A worker-local temporary folder."
    _dir = None
    @classmethod
    def dir(cls):
        if cls._dir is None: cls._dir = Path(tempfile.mkdtemp(prefix='qdfuzz-'))
        return cls._dir

@target('read_ndjson')
class NdjsonTarget:
    "read_ndjson (simplified and raw, plain and gzipped; skip and raise) and check_stroke_file on the same file."
    def seeds(self): return dict(simplified=seed_lines('simplified'), raw=seed_lines('raw'))
    modules = ('quickdraw_nb.strokes',)
    def inputs(self, rng, n, seeds):
        for i in range(n):
            kind = rng.choice(['simplified', 'raw'])
            good = [rng.choice(seeds[kind]) for _ in range(2)]
            bad = mutated_line(rng, seeds[kind])
            lines = good[:1] + [bad] + good[1:] if rng.random() < 0.5 else good + [bad]
            yield dict(data=b''.join(l if l.endswith(b'\n') else l + b'\n' for l in lines), gz=rng.random() < 0.1,
                       fmt=rng.choice([None, None, kind]), skip=rng.random() < 0.5, gzcut=rng.random() < 0.02)
    def run(self, x):
        from quickdraw_nb.strokes import read_ndjson, check_stroke_file
        from quickdraw_nb.core import DataError
        data = x['data']
        p = _Files.dir()/('f.ndjson.gz' if x['gz'] else 'f.ndjson')
        raw = gzip.compress(data) if x['gz'] else data
        if x['gzcut']: raw = raw[:len(raw) // 2]
        p.write_bytes(raw)
        lines = [l for l in data.split(b'\n') if l.strip()]
        n_valid = sum(line_ok(l, x['fmt']) for l in lines)
        self.invalid = None if x['gzcut'] else n_valid < len(lines)  # a cut gzip stream: refusing it or not are both fine
        if x['skip']:
            self.invalid = None
            got = list(read_ndjson(p, fmt=x['fmt'], on_error='skip'))
            if x['gzcut']: return True
            if len(got) > n_valid: raise SilentlyAccepted(f"{len(got)} drawings kept, {n_valid} valid lines")
            return len(got) == n_valid
        try: list(read_ndjson(p, fmt=x['fmt']))
        except DataError:
            if not x['gz'] and not x['gzcut']: self.check(p, data, x['fmt'])
            raise
        if not x['gz']: self.check(p, data, x['fmt'])
        return True

    def check(self, p, data, fmt):
        "check_stroke_file looks at the first and the last line only; refusing them is up to it, crashing is not."
        from quickdraw_nb.strokes import check_stroke_file
        from quickdraw_nb.core import DataError
        first = data.split(b'\n', 1)[0]
        last = data.rstrip(b'\r\n').rsplit(b'\n', 1)[-1]
        bad = not (line_ok(first, fmt) and line_ok(last, fmt))
        try: check_stroke_file(p, fmt)
        except DataError: return
        if bad: raise SilentlyAccepted('check_stroke_file accepted a bad first/last line')

class SilentlyAccepted(Exception): pass

def nl_lines(data: bytes) -> list:
    "Lines as the readers split them: at b'\\n' only (a b'\\r' inside a line is data for the csv module)."
    parts = data.split(b'\n')
    return [p + b'\n' for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])

def csv_text(rows):
    b = io.StringIO(); csv.writer(b).writerows(rows); return b.getvalue().encode('utf-8', 'surrogatepass')

@target('read_kaggle_csv')
class KaggleCsvTarget:
    "read_kaggle_csv (skip and raise) and check_stroke_file(fmt='csv') on Kaggle CSVs made from real drawings, one row mutated."
    header = ['countrycode', 'drawing', 'key_id', 'recognized', 'timestamp', 'word']
    modules = ('quickdraw_nb.strokes',)
    def seeds(self):
        rows = []
        for kind in ('simplified', 'raw'):
            for l in seed_lines(kind, 4):
                r = json.loads(l)
                rows.append([r['countrycode'], json.dumps(r['drawing'], separators=(',', ':')), r['key_id'], str(r['recognized']),
                             r['timestamp'].removesuffix(' UTC'), r['word']])
        return rows
    def inputs(self, rng, n, seeds):
        for i in range(n):
            good = [list(rng.choice(seeds)) for _ in range(2)]
            row = list(rng.choice(seeds))
            k = rng.random()
            if k < 0.5:
                rec = dict(zip(self.header, row)); rec['drawing'] = json.loads(rec['drawing'])
                rec = mutate_record(rng, rec)
                if isinstance(rec, dict):
                    row = [rec.get(c, '') if isinstance(rec.get(c, ''), str) else json.dumps(rec.get(c)) for c in self.header]
                    if 'drawing' in rec: row[1] = json.dumps(rec['drawing'], allow_nan=True)
                    if rng.random() < 0.3:  # CSV fields are text: booleans and numbers as they would be written
                        row[3] = rng.choice(['True', 'False', '', 'yes', '1', 'TRUE', ' false '])
                else: row = [json.dumps(rec)]
                bad = csv_text([row])
            elif k < 0.9: bad = byte_mutation(rng, csv_text([row]))
            else: bad = random_bytes(rng) + b'\n'
            if not bad.endswith(b'\n'): bad += b'\n'
            hdr = csv_text([self.header]) if rng.random() < 0.95 else byte_mutation(rng, csv_text([self.header]))
            yield dict(data=hdr + csv_text(good) + bad, skip=rng.random() < 0.5, fmt=rng.choice([None, None, 'simplified', 'raw']))
    @staticmethod
    def oracle(data, fmt):
        "(header ok, [row valid...]) by parsing the file with csv (strict) and checking each record by the contract."
        try: text = [l.decode('utf-8') for l in nl_lines(data)]
        except UnicodeDecodeError: return None
        if any(len(l) > LIM['line'] for l in text): return None
        rows = csv.reader(text, strict=True)
        try: header = next(rows)
        except (csv.Error, StopIteration): return False, []
        if 'drawing' not in header: return False, []
        out = []
        while True:
            try: row = next(rows)
            except StopIteration: break
            except csv.Error: out.append(False); continue
            if not row: continue
            if len(row) != len(header): out.append(False); continue
            rec = {c: row[header.index(c)] for c in KaggleCsvTarget.header if c in header}
            rec['drawing'] = json_or_none(rec['drawing'])
            out.append(rec['drawing'] is not None and record_ok(rec, fmt, text=True))
        return True, out
    def run(self, x):
        from quickdraw_nb.strokes import read_kaggle_csv, check_stroke_file
        from quickdraw_nb.core import DataError
        p = _Files.dir()/'f.csv'; p.write_bytes(x['data'])
        o = self.oracle(x['data'], x['fmt'])
        self.invalid = None
        if o is None:  # undecodable lines: only the absence of crashes and hangs is checked
            list(read_kaggle_csv(p, fmt=x['fmt'], on_error='skip'))
            return True
        header_ok, rows = o
        if x['skip']:
            self.invalid = True if not header_ok else None
            got = list(read_kaggle_csv(p, fmt=x['fmt'], on_error='skip'))
            if len(got) > sum(rows): raise SilentlyAccepted(f"{len(got)} drawings kept, {sum(rows)} valid rows")
            return len(got) == sum(rows)
        self.invalid = not header_ok or not all(rows)
        try: list(read_kaggle_csv(p, fmt=x['fmt']))
        except DataError:
            self.check(p, x['data'])
            raise
        self.check(p, x['data'])
        return True
    def check(self, p, data):
        from quickdraw_nb.strokes import check_stroke_file
        from quickdraw_nb.core import DataError
        lines = nl_lines(data)  # as check_stroke_file sees the file: the first two lines and the last non-blank one
        sub = lines[:2] + [data.rstrip(b'\r\n').rsplit(b'\n', 1)[-1] + b'\n'] if len(lines) >= 3 else lines
        o = self.oracle(b''.join(sub), None)
        try: check_stroke_file(p, 'csv')
        except DataError: return
        if o is None or not o[0] or not all(o[1]) or len(o[1]) < 2: raise SilentlyAccepted('check_stroke_file accepted a bad CSV')

# ----------------------------------------------------------------------------------------------------------------------
# Target: .npy bitmap files

def npy_oracle(b: bytes) -> bool:
    "Whether `b` is a valid numpy_bitmap file by the contract: C-ordered uint8 (N>0, 784 | 1,784 | 28,28), exact length."
    if not b.startswith(b'\x93NUMPY') or len(b) < 10: return False
    major, minor = b[6], b[7]
    if (major, minor) == (1, 0): hl, start = struct.unpack('<H', b[8:10])[0], 10
    elif (major, minor) == (2, 0):
        if len(b) < 12: return False
        hl, start = struct.unpack('<I', b[8:12])[0], 12
    else: return False
    if hl > 10_000 or len(b) < start + hl: return False
    try:
        h = ast.literal_eval(b[start:start + hl].decode('latin1'))
        if not isinstance(h, dict) or set(h) != {'descr', 'fortran_order', 'shape'}: return False
        dt = np.dtype(h['descr'])
    except Exception: return False
    shape = h['shape']
    if dt != np.uint8 or h['fortran_order'] is not False or not isinstance(shape, tuple) or not all(type(v) is int for v in shape): return False
    if len(shape) not in (2, 3) or tuple(shape[1:]) not in ((784,), (1, 784), (28, 28)) or shape[0] <= 0: return False
    return len(b) - start - hl == math.prod(shape)

@target('npy')
class NpyTarget:
    "check_bitmap_file / read_bitmap_file / load_bitmaps on mutated real numpy_bitmap files."
    modules = ('quickdraw_nb.bitmaps',)
    def seeds(self):
        a = np.load(shared('bitmap')/'owl.npy', mmap_mode='r')[:12]
        out = []
        for arr in (a, a.reshape(-1, 28, 28), a.reshape(-1, 1, 784)):
            b = io.BytesIO(); np.save(b, np.ascontiguousarray(arr)); out.append(b.getvalue())
        b = io.BytesIO(); np.save(b, np.array([{'a': 1}] * 3, dtype=object), allow_pickle=True); out.append(b.getvalue())
        return out
    def inputs(self, rng, n, seeds):
        for i in range(n):
            b = rng.choice(seeds[:3])
            k = rng.randrange(10)
            hl = struct.unpack('<H', b[8:10])[0]; head, data = b[10:10 + hl].decode('latin1'), b[10 + hl:]
            if k < 4:  # edit the header dict
                h = ast.literal_eval(head)
                f = rng.choice(['descr', 'fortran_order', 'shape', 'shape', 'extra'])
                if f == 'descr': h['descr'] = rng.choice(['|u1', '<u1', '|i1', '|b1', '<u2', '<f4', '|O', '|S1', [('a', '|u1')], 'u1'])
                elif f == 'fortran_order': h['fortran_order'] = rng.choice([True, False, 1, 0, 'no'])
                elif f == 'shape':
                    s = list(h['shape']); j = rng.randrange(len(s))
                    s[j] = rng.choice([s[j] + 1, s[j] - 1, 0, -1, 2 * s[j], 10**12, s[j], True])
                    if rng.random() < 0.2: s = s[:1] + [784] if rng.random() < 0.5 else s + [1]
                    h['shape'] = tuple(s)
                else: h['extra'] = 1
                text = repr(h)
                text = text + ' ' * ((64 - (10 + len(text) + 1) % 64) % 64) + '\n'
                b = b[:8] + struct.pack('<H', len(text)) + text.encode('latin1') + data
            elif k == 4: b = b + random_bytes(rng, rng.choice([1, 7, 784, rng.randint(1, 2000)]))  # trailing bytes
            elif k == 5: b = b[:rng.randrange(len(b))]  # truncated
            elif k == 6:  # data bytes changed: still a valid file
                b = bytearray(b)
                for _ in range(5): b[rng.randrange(10 + hl, len(b))] = rng.randrange(256)
                b = bytes(b)
            elif k == 7: b = byte_mutation(rng, b[:10 + hl]) + data  # header bytes
            elif k == 8: b = rng.choice([seeds[3], random_bytes(rng), b'\x93NUMPY\x02\x00' + (10**6).to_bytes(4, 'little') + b' ' * 1000,
                                         b'\x93NUMPY\x03\x00' + b[8:], b[:6] + b'\x01\x00' + struct.pack('<H', 65535) + b[10:]])
            else: b = b[:8] + b[8:10] + byte_mutation(rng, b[10:10 + hl]) + data
            yield dict(data=b, how=rng.choice(['check', 'read', 'load']))
    def run(self, x):
        from quickdraw_nb.bitmaps import check_bitmap_file, read_bitmap_file, load_bitmaps
        d = _Files.dir()/'bm'; d.mkdir(exist_ok=True)
        p = d/'owl.npy'; p.write_bytes(x['data'])
        self.invalid = not npy_oracle(x['data'])
        if x['how'] == 'check': np.asarray(check_bitmap_file(p)).sum()
        elif x['how'] == 'read': read_bitmap_file(p, max_items=5)
        else: load_bitmaps(d)
        return True

# ----------------------------------------------------------------------------------------------------------------------
# Target: paths from CSVs (safe_path, image_table)

def path_fixture(root: Path):
    "A data root with real images, symlinks of every kind (loops, links in, out, to devices) and special files."
    from PIL import Image
    if (root/'ready').exists(): return
    owl = np.load(shared('bitmap')/'owl.npy', mmap_mode='r')
    for c, i in (('cat', 0), ('dog', 1)):
        (root/'images'/c).mkdir(parents=True, exist_ok=True)
        Image.fromarray(255 - np.asarray(owl[i]).reshape(28, 28)).save(root/'images'/c/'a.png')
    out = root.parent/'outside'; out.mkdir(exist_ok=True); (out/'secret.png').write_bytes(b'secret')
    links = dict(loop1='loop1', loopA='loopB', loopB='loopA', link_out=str(out), link_out_rel='../outside', link_in='images/cat',
                 abs_in=str(root/'images'), abs_out='/etc', dev='/dev/null', up='..', dot='.', self_ref='link_in/../link_in',
                 dangling='nowhere/x.png')
    for k, v in links.items(): os.symlink(v, root/k)
    os.mkfifo(root/'fifo.png'); (root/'dir.png').mkdir()
    s = socket.socket(socket.AF_UNIX); s.bind(str(root/'sock.png')); s.close()
    (root/'ready').write_text('')

PATH_PARTS = ['..', '.', '', 'images', 'cat', 'dog', 'a.png', 'loop1', 'loopA', 'link_out', 'link_out_rel', 'link_in', 'abs_in',
              'abs_out', 'dev', 'up', 'dot', 'self_ref', 'dangling', 'fifo.png', 'dir.png', 'sock.png', 'secret.png', 'outside',
              'hostname', 'missing', 'ready']

def random_path(rng, root):
    k = rng.random()
    if k < 0.85:
        p = '/'.join(rng.choice(PATH_PARTS) for _ in range(rng.randint(1, 7)))
        if rng.random() < 0.15: p = str(root) + '/' + p
        elif rng.random() < 0.05: p = '/' + p
        return p
    return rng.choice(['', ' ', 'a\x00b.png', 'x' * 5000, '\u00e9/../a.png', '\udcff.png', '~/x.png', '//etc/passwd', str(root),
                       'images/cat/a.png\n', ' images/cat/a.png ', 'images\\cat\\a.png', float('nan'), None, 3])

def kernel_view(p):
    "(real path, regular?) as the kernel resolves `p` when opening it, or None if it cannot be opened."
    try: fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except (OSError, ValueError, TypeError): return None
    try: return os.readlink(f'/proc/self/fd/{fd}'), stat.S_ISREG(os.fstat(fd).st_mode)
    finally: os.close(fd)

@target('image_paths')
class ImagePathTarget:
    "safe_path on generated paths (oracle: what the kernel opens), and image_table on CSVs of such paths and mutated labels."
    def seeds(self): return None
    modules = ('quickdraw_nb.imagefolder',)
    def inputs(self, rng, n, seeds):
        root = _root()
        for i in range(n):
            if rng.random() < 0.7: yield dict(path=random_path(rng, root))
            else:
                rows = [['image_path', 'class_name', 'target']]
                for j in range(rng.randint(1, 4)):
                    rows.append([random_path(rng, root) if rng.random() < 0.5 else 'images/cat/a.png',
                                 rng.choice(['cat', 'dog', 'cat', '', 'c\ta', 'x' * 201, '\u00e9']),
                                 rng.choice(['0', '1', '0', ' 1', '1.0', 'True', '1e400', 'inf', '-1', '2.5', str(10**9), '', 'nan', '0x1'])])
                data = csv_text(rows)
                if rng.random() < 0.2: data = byte_mutation(rng, data)
                yield dict(csv=data)
    def run(self, x):
        from quickdraw_nb.imagefolder import safe_path, image_table
        root = _root()
        self.invalid = None
        if 'path' in x:
            res = safe_path(root, x['path'])
            if not _safe(res, root): raise SilentlyAccepted(f"{x['path']!r} -> {res} -> {kernel_view(res)}")
            return True
        p = _Files.dir()/'images.csv'; p.write_bytes(x['csv'])
        df, vocab = image_table(p, root=root)
        if not all(_safe(q, root) for q in df.path): raise SilentlyAccepted('image_table: a path outside the root or to a special file')
        if not all(isinstance(t, (int, np.integer)) and 0 <= t <= 100_000 for t in df.target): raise SilentlyAccepted('image_table: bad target')
        if not all(isinstance(c, str) and c.isprintable() and 0 < len(c) <= 200 for c in df.class_name): raise SilentlyAccepted('bad class')
        return True

def _root() -> Path:
    "The data root of the path target, made once by the parent (`QDFUZZ_ROOT`)."
    return Path(os.environ['QDFUZZ_ROOT'])

def _safe(res, root:Path) -> bool:
    "Whether a path safe_path returned is safe: the kernel opens it inside the root as a regular file, or cannot open it."
    kv = kernel_view(res)
    if kv is None: return Path(res).is_relative_to(root)
    real, regular = kv
    return regular and Path(real).is_relative_to(root)

# ----------------------------------------------------------------------------------------------------------------------
# Target: image decoding

def png_with_size(w, h):
    "A PNG whose header says w x h (valid CRCs), with a tiny (wrong) image data chunk."
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b'')

def gif_with_size(w, h):
    return b'GIF89a' + struct.pack('<HH', w, h) + bytes([0, 0, 0]) + b',' + struct.pack('<HHHH', 0, 0, w, h) + bytes([0, 2, 2, 0x4c, 0x01, 0, 0x3b])

@target('load_images')
class ImageTarget:
    "decode_sketch / load_images on real sketches saved in every format, mutated, with forged sizes (bombs), and FIFOs."
    modules = ('quickdraw_nb.imagefolder', 'PIL.Image')
    def seeds(self):
        from PIL import Image
        owl = np.load(shared('bitmap')/'owl.npy', mmap_mode='r')
        out = []
        for i, fmt in enumerate(['PNG', 'JPEG', 'GIF', 'BMP', 'WEBP', 'TIFF', 'PNG']):
            im = Image.fromarray(255 - np.asarray(owl[i]).reshape(28, 28))
            if i == 6: im = im.convert('RGBA')
            b = io.BytesIO(); im.resize((56, 40)).save(b, fmt); out.append(b.getvalue())
        return out
    def inputs(self, rng, n, seeds):
        for i in range(n):
            k = rng.random()
            if k < 0.45: b = byte_mutation(rng, rng.choice(seeds))
            elif k < 0.6: b = rng.choice(seeds)
            elif k < 0.8:
                w, h = rng.choice([(1, 65281), (65535, 65535), (6324, 6324), (6325, 6325), (100, 100), (1, 1), (0, 5), (40000, 1000)])
                b = (png_with_size if rng.random() < 0.5 else gif_with_size)(w, h)
            elif k < 0.95: b = random_bytes(rng, rng.randint(0, 2000))
            else: b = None  # a FIFO
            yield dict(data=b, how=rng.choice(['decode', 'load']), size=rng.choice([28, 64]), pristine=0.45 <= k < 0.6)
    def run(self, x):
        from PIL import Image
        from quickdraw_nb.imagefolder import decode_sketch, load_images, MAX_IMAGE_PIXELS
        p = _Files.dir()/'img'
        if p.exists() or p.is_symlink(): p.unlink()
        self.invalid = False if x['pristine'] else None
        if x['data'] is None: os.mkfifo(p); self.invalid = True
        else:
            p.write_bytes(x['data'])
            try:
                w, h = Image.open(io.BytesIO(x['data'])).size
                if w * h > MAX_IMAGE_PIXELS or max(w, h)**2 > MAX_IMAGE_PIXELS: self.invalid = True
            except Exception: pass
        if x['how'] == 'decode': a = decode_sketch(p, x['size'])
        else:
            a, kept = load_images([p], x['size'], on_error='skip')
            a = a[0]
        return a.shape == (x['size'], x['size']) and a.dtype == np.uint8

# ----------------------------------------------------------------------------------------------------------------------
# Target: rasterizer, render, raw -> simplified

def valid_offsets(o, n):
    o = np.asarray(o)
    return o.ndim == 1 and len(o) >= 1 and np.issubdtype(o.dtype, np.integer) and o[0] == 0 and o[-1] == n and (np.diff(o) >= 0).all()

def _num_ok(v, lo, hi, integer=False):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)): return False
    if integer and not float(v).is_integer(): return False
    return lo <= v <= hi

@target('render')
class RenderTarget:
    "rasterize (flat and packed), render and simplify_drawing with mutated real drawings and extreme settings."
    modules = ('quickdraw_nb.render',)
    def warm(self):  # compiled kernels loaded (or compiled) before the clock starts
        from quickdraw_nb.render import render
        from quickdraw_nb.strokes import Drawing, simplify_drawing
        d = Drawing([np.array([[1., 2.], [3., 4.], [0., 5.]], np.float32)], fmt='raw')
        render([d], channels=('ink', 'order', 'time')); render([d], 64); simplify_drawing(d)
    def seeds(self):
        from quickdraw_nb.strokes import read_ndjson
        s = [d for c in CATS[:2] for d in list(read_ndjson(shared('strokes/simplified')/f'{c}.ndjson'))[:6]]
        r = [d for c in CATS[:2] for d in list(read_ndjson(shared('strokes/raw')/f'{c}.ndjson'))[:4]]
        return dict(simplified=s, raw=r)
    def inputs(self, rng, n, seeds):
        from quickdraw_nb.render import flatten_drawings
        for i in range(n):
            k = rng.random()
            kw = self.settings(rng)
            ds = [rng.choice(seeds['simplified'] + seeds['raw']) for _ in range(rng.randint(1, 3))]
            if k < 0.4:
                pts, off = flatten_drawings(ds)
                pts, off = pts.copy(), off.copy()
                j = rng.randrange(8)
                if j == 0: pts[rng.randrange(len(pts)), rng.randrange(4)] = rng.choice([np.nan, np.inf, 1e6, 1e30, -1e5, 1e5, 0.5, -2, 2**24 + 1, 3e38])
                elif j == 1: off[rng.randrange(len(off))] = rng.choice([-1, -10**9, 10**9, len(pts) + 1, 2**62, 0, len(pts)])
                elif j == 2: off = off[::-1].copy()
                elif j == 3: off = rng.choice([off.astype(np.float64), off.astype(bool), off[None], np.array([], np.int64), off.astype(np.int8), off.astype(object)])
                elif j == 4: pts = rng.choice([pts[:, :3], pts[None], pts.astype(object), pts[:0], np.array([['a'] * 4]), pts.astype(np.float16)])
                elif j == 5: off = None; pts = pts[None] if rng.random() < 0.5 else pts
                elif j == 6: pts[:, 3] = rng.choice([0.5, -7, 1e12, np.nan])
                yield dict(kind='rasterize', pts=pts, offsets=off, kw=kw)
            elif k < 0.7:
                ds = [self.mutate_drawing(rng, d) for d in ds]
                yield dict(kind='render', drawings=ds, kw=kw, center=rng.random() < 0.8)
            else:
                d = self.mutate_drawing(rng, rng.choice(seeds['raw'])) if rng.random() < 0.7 else rng.choice(seeds['raw'])
                yield dict(kind='simplify', drawing=d, epsilon=rng.choice([2.0, 0, 0.5, 255, -1, np.nan, True, 300]),
                           spacing=rng.choice([1.0, 0.01, 0.5, 255, 0, -1, 1e-9, np.inf, False]), keep_time=rng.random() < 0.3)
    def settings(self, rng):
        kw = {}
        if rng.random() < 0.5: kw['size'] = rng.choice([28, 1, 64, 2048, 0, -1, 2049, True, 2.5, '28', 10**20, 28.0, np.int64(32)])
        if rng.random() < 0.3: kw['supersample'] = rng.choice([None, 1, 2, 16, 0, 17, True, 1.5, 4])
        if rng.random() < 0.3: kw['line_width'] = rng.choice([16., 1e-3, 1e4, 0, -1, np.nan, np.inf, True, '16', 1e5])
        if rng.random() < 0.3: kw['padding'] = rng.choice([16., 0, 1e4, -1, np.nan, np.inf, False, 1e5])
        if rng.random() < 0.3: kw['channels'] = rng.choice([('ink',), ('ink', 'order', 'time'), ('time',), ('ink', 'ink'), (), ('ink', 3), 'ink'])
        return kw
    def mutate_drawing(self, rng, d):
        from quickdraw_nb.strokes import Drawing
        strokes = [s.copy() for s in d.strokes]
        j = rng.randrange(9)
        i = rng.randrange(len(strokes))
        if j == 0: strokes[i][rng.randrange(strokes[i].shape[0]), 0] = rng.choice([np.nan, np.inf, 1e30, -1e30, 3e38])
        elif j == 1: strokes[i] = rng.choice([strokes[i][:, :0], strokes[i][:1], strokes[i].astype(bool), strokes[i].astype(object),
                                              strokes[i].tolist(), strokes[i][0], np.zeros((4, 3))])
        elif j == 2: strokes = []
        elif j == 3: strokes = [np.full((strokes[0].shape[0], 1), 5, np.float32)]  # one point: extent 0
        elif j == 4: return rng.choice(['not a drawing', None, 3])
        elif j == 5: strokes[i] = strokes[i] * 1e6  # huge but finite (raw: fitted into the canvas)
        else: pass
        return Drawing(strokes, d.word, d.key_id, d.countrycode, d.recognized, d.timestamp, d.fmt)
    def oracle_settings(self, kw):
        size = kw.get('size', 28)
        if not _num_ok(size, 1, 2048, True): return False
        ss = kw.get('supersample', None)
        if ss is not None and not _num_ok(ss, 1, 16, True): return False
        if ((2 if size < 64 else 1) if ss is None else ss) * size > 4096: return False
        if not _num_ok(kw.get('line_width', 16.), 1e-3, 1e4) or not _num_ok(kw.get('padding', 16.), 0, 1e4): return False
        ch = kw.get('channels', ('ink',)); ch = (ch,) if isinstance(ch, str) else tuple(ch)
        return bool(ch) and ch[0] == 'ink' and all(isinstance(c, str) and c in ('ink', 'order', 'time') for c in ch) and len(set(ch)) == len(ch)
    @staticmethod
    def drawing_ok(d):
        from quickdraw_nb.strokes import Drawing
        if not isinstance(d, Drawing) or not isinstance(d.strokes, list) or not d.strokes: return False
        return all(isinstance(s, np.ndarray) and s.ndim == 2 and s.shape[0] in (2, 3) and s.shape[1] >= 1 and s.dtype.kind in 'fiu'
                   and np.isfinite(s).all() for s in d.strokes)
    def run(self, x):
        from quickdraw_nb.render import rasterize, render, flatten_drawings
        from quickdraw_nb.strokes import simplify_drawing
        if x['kind'] == 'rasterize':
            pts, off = x['pts'], x['offsets']
            ok = self.oracle_settings(x['kw'])
            try: a = np.asarray(pts, dtype=np.float32)
            except (ValueError, TypeError): ok = False; a = None
            if ok:
                if off is None: ok = a.ndim == 3 and a.shape[-1] == 4; n = a.shape[0] * a.shape[1] if ok else 0; flat = a.reshape(-1, 4) if ok else a
                else: ok = a.ndim == 2 and a.shape[-1] == 4 and valid_offsets(off, len(a)); flat = a
                if ok and len(flat):
                    ok = (np.isfinite(flat).all() and np.abs(flat[:, :2]).max() <= 1e5 and (flat[:, 3] == np.round(flat[:, 3])).all()
                          and flat[:, 3].min() >= -1 and flat[:, 3].max() <= 2**24)
            self.invalid = not ok
            out = rasterize(pts, offsets=off, **x['kw'])
            B = (len(off) - 1) if off is not None else np.asarray(pts).shape[0]
            return out.dtype == np.uint8 and out.shape[0] == B
        if x['kind'] == 'render':
            ok = self.oracle_settings(x['kw']) and all(self.drawing_ok(d) for d in x['drawings'])
            if ok:  # what flatten makes of valid drawings must still be in range (e.g. simplified coordinates far outside 0-255)
                pts, _ = flatten_drawings(x['drawings'], x['center'])
                ok = np.isfinite(pts).all() and np.abs(pts[:, :2]).max() <= 1e5
            self.invalid = not ok
            out = render(x['drawings'], center=x['center'], **x['kw'])
            return out.dtype == np.uint8 and out.shape[0] == len(x['drawings'])
        d = x['drawing']
        ok = self.drawing_ok(d) and _num_ok(x['epsilon'], 0, 255) and _num_ok(x['spacing'], 0.01, 255)
        self.invalid = not ok
        out = simplify_drawing(d, x['epsilon'], x['spacing'], x['keep_time'])
        return all(s.shape[1] >= 1 and np.isfinite(s).all() and s[:2].min() >= 0 and s[:2].max() <= 255 for s in out.strokes)

# ----------------------------------------------------------------------------------------------------------------------
# Target: model folders (model.json, model.safetensors, model.onnx) and the predictors that load them

MODEL_FILES = ('model.json', 'model.safetensors', 'model.onnx')
SPEC_KEYS = ('arch', 'n_in', 'vocab', 'model_kwargs', 'image_size', 'input_size', 'resize', 'normalize')
ALLOWED_KWARGS = {'stem_stride', 'img_size', 'patch_size', 'drop_rate', 'drop_path_rate', 'global_pool', 'embed_dim', 'depth',
                  'num_heads', 'mlp_ratio', 'width_multiplier'}

def _size_ok(v): return _pint(v, 4096) or (isinstance(v, list) and len(v) == 2 and all(_pint(x, 4096) for x in v))
KWARG_OK = dict(stem_stride=lambda v: _pint(v, 64), img_size=_size_ok, patch_size=lambda v: _pint(v, 64),
                drop_rate=lambda v: _fin(v) and 0 <= v < 1, drop_path_rate=lambda v: _fin(v) and 0 <= v < 1,
                global_pool=lambda v: v in ('avg', 'max', 'avgmax', 'catavgmax', 'token', 'map', ''), embed_dim=lambda v: _pint(v, 8192),
                depth=lambda v: _pint(v, 256), num_heads=lambda v: _pint(v, 256), mlp_ratio=lambda v: _fin(v) and 0 < v <= 64,
                width_multiplier=lambda v: _fin(v) and 0 < v <= 16)

def _hex64(v): return isinstance(v, str) and len(v) == 64 and all(c in '0123456789abcdef' for c in v)
def _pint(v, hi): return type(v) is int and 0 < v <= hi
def _fin(v): return type(v) in (int, float) and math.isfinite(v)

def meta_ok(m) -> bool:
    "Whether a parsed model.json is a usable description, by the contract of 09_modelfile (written again here)."
    if not isinstance(m, dict) or m.get('format') != 'quickdraw_nb.model/2': return False
    if any(k not in m for k in (*SPEC_KEYS, 'weights_sha256')): return False
    a, v, kw = m['arch'], m['vocab'], m['model_kwargs']
    if not (isinstance(a, str) and 0 < len(a) <= 100 and all(c.isascii() and (c.isalnum() or c in '_.') for c in a)): return False
    if not _pint(m['n_in'], 64): return False
    if not (isinstance(v, list) and 0 < len(v) <= 100_000 and all(isinstance(c, str) and len(c) <= 200 for c in v) and len(set(v)) == len(v)):
        return False
    if not isinstance(kw, dict) or not set(kw) <= ALLOWED_KWARGS: return False
    if not all(KWARG_OK[k](v) for k, v in kw.items()): return False
    if not all(isinstance(m[k], list) and len(m[k]) == 2 and all(_pint(x, 1 << 16) for x in m[k]) for k in ('image_size', 'input_size')):
        return False
    if not (isinstance(m['resize'], dict) and m['resize'].get('mode') in ('bilinear', 'bicubic')): return False
    n = m['normalize']
    if n is not None:
        if not isinstance(n, dict): return False
        mean, std = n.get('mean'), n.get('std')
        if not all(isinstance(l, list) and len(l) == m['n_in'] and all(_fin(x) for x in l) for l in (mean, std)) or min(std) <= 0: return False
    if not _hex64(m['weights_sha256']): return False
    o = m.get('onnx')
    return o is None or (isinstance(o, dict) and o.get('file') == 'model.onnx' and _hex64(o.get('sha256')))

def _same(a, b) -> bool: return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)

def deep(n): v = []; [v := [v] for _ in range(n)]; return v

ODD_VALUES = [None, True, False, 0, -1, 1.5, float('nan'), float('inf'), 'x', '', [], {}, [1], '../../etc/passwd', '/etc/passwd',
              10**30, 'x' * 10_000, 'hf-hub:timm/resnet18', 'resnet18', ['a', 'a'], [3, 3], [0, 28], [28, 28, 28], {'mode': 'nearest'}]
ODD_KWARGS = [{'checkpoint_path': '/etc/passwd'}, {'pretrained_cfg_overlay': {'file': '/etc/passwd'}}, {'pretrained': True},
              {'drop_rate': 0.5}, {'drop_rate': float('nan')}, {'drop_rate': 2}, {'stem_stride': 2}, {'img_size': 10**9},
              {'global_pool': '../x'}, {'__class__': 1}, {'num_classes': 5}, {'in_chans': 3}, {'drop_rate': '0.1'}, {'depth': True}]

@target('model_folders')
class ModelFolderTarget:
    "check_model_meta, read_model_meta, load_model and load_predictor (onnx, torch, auto) on tampered copies of real model folders."
    modules = ('quickdraw_nb.modelfile', 'quickdraw_nb.predictor', 'quickdraw_nb.inference', 'onnxruntime', 'safetensors.torch')
    def seeds(self):
        "Two small models (3 and 2 classes) trained... untrained: 0 epochs is enough for a folder; the checks do not look at accuracy."
        from quickdraw_nb.bitmaps import load_bitmaps, stratified_split
        from quickdraw_nb.datablock import bitmap_dataloaders
        from quickdraw_nb.learner import timm_learner, save_model
        root = Path(tempfile.mkdtemp(prefix='qdfuzz-models-'))
        for name, cats in (('a', ['apple', 'eye', 'fish']), ('b', ['rainbow', 'tree'])):
            bm = load_bitmaps(shared('bitmap'), cats=cats, max_per_cat=20)
            save_model(timm_learner(bitmap_dataloaders(bm, bs=8, valid_idx=stratified_split(bm.labels, 0.2, 0)[1]), 'sketch_cnn_s'), root/name)
        return dict(root=str(root), meta={n: json.loads((root/n/'model.json').read_text()) for n in 'ab'})

    def _ref(self, root):
        "The two pristine folders' descriptions and bytes, read once."
        if getattr(self, '_refs', (None,))[0] != root:
            self._refs = (root, {n: json.loads((Path(root)/n/'model.json').read_text()) for n in 'ab'},
                          {n: {f: (Path(root)/n/f).read_bytes() for f in MODEL_FILES} for n in 'ab'})
        return self._refs[1:]

    def warm(self):
        self._x = np.load(shared('bitmap')/'fish.npy', mmap_mode='r')[:2].reshape(2, 28, 28).copy()

    def inputs(self, rng, n, seeds):
        for i in range(n):
            src = 'a' if rng.random() < 0.85 else 'b'
            meta = json.loads(json.dumps(seeds['meta'][src]))
            x = dict(root=seeds['root'], src=src, json=None, weights=('keep', 0, 0), onnx=('keep', 0, 0), resign=False,
                     how=rng.choice(['check', 'meta', 'load', 'load', 'onnx', 'onnx', 'torch', 'auto']))
            k = rng.random()
            if k < 0.45: x['json'] = self.mutate_meta(rng, meta, seeds)
            elif k < 0.55: x['json'] = byte_mutation(rng, json.dumps(meta, indent=2).encode())
            elif k < 0.6: x['json'] = rng.choice([b'[]', b'"x"', b'3', b'null', b'', b'\xff\xfe{}', deep_json(rng), random_bytes(rng),
                                                   b'{"format": "quickdraw_nb.model/2", "x": ' + b'[' * 100_000 + b']' * 100_000 + b'}'])
            if k >= 0.5 or rng.random() < 0.2:
                f = rng.choice(['weights', 'onnx', 'weights', 'onnx', 'json_file'])
                op = self.file_op(rng, f)
                if f == 'json_file': x['json_op'] = op
                else: x[f] = op
                x['resign'] = rng.random() < 0.5
            yield x

    def mutate_meta(self, rng, m, seeds) -> bytes:
        j = rng.randrange(8)
        keys = list(m)
        if j == 0: m.pop(rng.choice(keys))
        elif j == 1: m[rng.choice(keys)] = rng.choice(ODD_VALUES)
        elif j == 2: m['model_kwargs'] = rng.choice(ODD_KWARGS)
        elif j == 3:  # valid-typed but different values
            k = rng.choice(['vocab', 'vocab', 'n_in', 'image_size', 'arch', 'normalize', 'weights_sha256', 'onnx', 'input_size'])
            m[k] = dict(vocab=rng.choice([m['vocab'][::-1], m['vocab'] + ['owl'], ['c%d' % i for i in range(100_000)],
                                          ['c%d' % i for i in range(100_001)], [c.upper() for c in m['vocab']], ['a/../b'] * 1]),
                        n_in=3, image_size=[64, 64], input_size=[1 << 16, 1 << 16], arch=rng.choice(['resnet18', 'sketch_cnn', 'nosuchnet', 'os.system']),
                        normalize=None, weights_sha256='0' * 64, onnx={'file': '../model.onnx', 'sha256': '0' * 64})[k]
        elif j == 4:  # deep nesting or huge values inside a field
            m[rng.choice(keys + ['extra'])] = rng.choice([deep(50), deep(900), {'a': deep(30)}, list(range(200_000)), 'x' * 1_000_000])
        elif j == 5: m[rng.choice(['extra', 'notes', '__proto__'])] = rng.choice(ODD_VALUES)  # unknown keys
        elif j == 6:  # one element of a list field
            k = rng.choice(['vocab', 'image_size', 'normalize'])
            if k == 'normalize' and isinstance(m['normalize'], dict): m['normalize'][rng.choice(['mean', 'std'])] = [rng.choice(ODD_VALUES)]
            elif isinstance(m.get(k), list) and m[k]: m[k][rng.randrange(len(m[k]))] = rng.choice(ODD_VALUES)
        else: m['render'] = rng.choice(ODD_VALUES + [{'size': 'x'}, dict(m.get('render') or {}, size=10**9)])
        return json.dumps(m, allow_nan=True).encode()

    def file_op(self, rng, f):
        ops = ['missing', 'dir', 'fifo', 'symlink_out', 'symlink_in', 'devzero', 'loop', 'swap', 'truncate', 'flip', 'garbage', 'empty',
               'pickle', 'torch_pickle']
        if f == 'weights': ops += ['nan', 'int8', 'extra_tensor', 'missing_tensor', 'shape', 'spec', 'no_meta', 'header']
        if f == 'onnx': ops += ['onnx_no_meta', 'onnx_meta_edit', 'onnx_external']
        if f == 'json_file': ops = ['missing', 'dir', 'fifo', 'symlink_out', 'symlink_in', 'devzero', 'loop', 'big']
        op = rng.choice(ops)
        return (op, rng.random(), rng.randrange(1 << 30))

    # the worker side: build the folder, decide what the contract expects, run
    def build(self, x):
        import torch
        from safetensors.torch import save_file
        from safetensors import safe_open
        src = Path(x['root'])/x['src']; other = Path(x['root'])/('b' if x['src'] == 'a' else 'a')
        work = _Files.dir()/'m'
        if work.exists() or work.is_symlink():
            import shutil; shutil.rmtree(work)
        d = work/'model'; d.mkdir(parents=True); out = work/'outside'; out.mkdir()
        state = dict(marker=work/'unpickled')
        raw = self._ref(x['root'])[1][x['src']]
        meta_bytes = x['json'] if x['json'] is not None else raw['model.json']
        def place(f, op, data):
            kind, frac, seed = op
            p, r = d/f, random.Random(seed)
            if kind == 'keep': p.write_bytes(data); return data, True
            if kind == 'missing': return None, False
            if kind == 'dir': p.mkdir(); return None, False
            if kind == 'fifo': os.mkfifo(p); return None, False
            if kind == 'symlink_out': (out/f).write_bytes(data); os.symlink(out/f, p); return data, False
            if kind == 'symlink_in': (d/('copy-' + f)).write_bytes(data); os.symlink('copy-' + f, p); return data, True
            if kind == 'devzero': os.symlink('/dev/zero', p); return None, False
            if kind == 'loop': os.symlink(f, p); return None, False
            if kind == 'big': p.write_bytes(data); os.truncate(p, 60_000_000); return None, False  # sparse
            if kind == 'swap': data = (other/f).read_bytes(); p.write_bytes(data); return data, 'swap'
            if kind == 'truncate': data = data[:int(len(data) * frac)]
            elif kind == 'flip':
                b = bytearray(data)
                for _ in range(r.randint(1, 8)): b[r.randrange(len(b))] ^= 1 << r.randrange(8)
                data = bytes(b)
            elif kind == 'garbage': data = random_bytes(r, r.randint(0, 5000))
            elif kind == 'empty': data = b''
            elif kind in ('pickle', 'torch_pickle'):
                payload = _Unpickle(str(state['marker']))
                if kind == 'pickle':
                    import pickle; data = pickle.dumps({'head.fc.bias': payload})
                else:
                    b = io.BytesIO(); torch.save({'head.fc.bias': payload}, b); data = b.getvalue()
            elif kind in ('nan', 'int8', 'extra_tensor', 'missing_tensor', 'shape', 'spec', 'no_meta', 'header'):
                with safe_open(str(src/f), 'pt') as sf: md, t = sf.metadata(), {k: sf.get_tensor(k) for k in sf.keys()}
                name = r.choice(sorted(k for k in t if t[k].is_floating_point()))
                if kind == 'nan': t[name] = t[name].clone(); t[name].view(-1)[0] = r.choice([float('nan'), float('inf')])
                elif kind == 'int8': t[name] = t[name].to(torch.int8)
                elif kind == 'extra_tensor': t['extra.weight'] = torch.zeros(3)
                elif kind == 'missing_tensor': t.pop(name)
                elif kind == 'shape': t[name] = torch.zeros(*t[name].shape, 2)
                elif kind == 'spec':
                    spec = json.loads(md['spec']); spec[r.choice(list(spec))] = r.choice([None, 'x', [1], deep(20)]); md['spec'] = json.dumps(spec)
                elif kind == 'no_meta': md = None
                if kind == 'header':  # a header announcing more data than the file has
                    hdr = json.dumps({'w': {'dtype': 'F32', 'shape': [1 << 20, 1 << 20], 'data_offsets': [0, 1 << 42]}}).encode()
                    data = struct.pack('<Q', len(hdr)) + hdr + b'\0' * 64
                else:
                    tmp = work/'w.tmp'; save_file(t, str(tmp), metadata=md); data = tmp.read_bytes()
            elif kind == 'onnx_no_meta' or kind == 'onnx_meta_edit' or kind == 'onnx_external':
                import onnx
                m = onnx.load_from_string(data)
                if kind == 'onnx_no_meta': del m.metadata_props[:]
                elif kind == 'onnx_meta_edit':
                    e = json.loads(m.metadata_props[0].value)
                    state['onnx_edit'] = key = r.choice(['vocab', 'n_in', 'arch', 'weights_sha256', 'extra', 'normalize'])
                    e[key] = '@DEEP@' if r.random() < 0.15 else r.choice([None, ['x'] * 3, ['p', 'q', 'r'], 3, '0' * 64, 'x'])
                    m.metadata_props[0].value = json.dumps(e).replace('"@DEEP@"', '[' * 2000 + ']' * 2000)  # too deep for json.dumps
                else:  # weights read from a file outside the folder
                    init = m.graph.initializer[0]
                    init.ClearField('raw_data'); init.data_location = onnx.TensorProto.EXTERNAL
                    for k, v in (('location', str(out/'secret.bin')), ('offset', '0'), ('length', str(4 * int(np.prod(init.dims))))):
                        e = init.external_data.add(); e.key, e.value = k, v
                    (out/'secret.bin').write_bytes(b'\0' * 4 * int(np.prod(init.dims)))
                data = m.SerializeToString()
            p.write_bytes(data)
            return data, 'modified'
        w, ws = place('model.safetensors', x['weights'], raw['model.safetensors'])
        o, os_ = place('model.onnx', x['onnx'], raw['model.onnx'])
        jm = _parse_json(meta_bytes)
        if x['resign'] and isinstance(jm, dict):  # the JSON's checksums updated to the files as they now are
            import hashlib
            if w is not None and x['weights'][0] != 'keep': jm['weights_sha256'] = hashlib.sha256(w).hexdigest()
            if o is not None and x['onnx'][0] != 'keep' and isinstance(jm.get('onnx'), dict): jm['onnx']['sha256'] = hashlib.sha256(o).hexdigest()
            try: meta_bytes = json.dumps(jm, allow_nan=True).encode()
            except RecursionError: pass  # too deep to write again: left as it was
        j, js = place('model.json', x.get('json_op', ('keep', 0, 0)), meta_bytes)
        jm = _parse_json(j) if j is not None else None
        # what the contract expects, judged from what is in the folder now
        ref, raws = self._ref(x['root'])
        def origin(f, data): return next((n for n in 'ab' if data is not None and data == raws[n][f]), None)
        json_ok = js is True and meta_ok(jm)
        wo, oo = origin('model.safetensors', w), origin('model.onnx', o)
        w_ok = json_ok and ws in (True, 'swap') and wo is not None and all(_same(jm[k], ref[wo][k]) for k in (*SPEC_KEYS, 'weights_sha256'))
        o_rec = jm.get('onnx') if json_ok else None
        o_ok = (json_ok and os_ in (True, 'swap') and oo is not None and all(_same(jm[k], ref[oo][k]) for k in (*SPEC_KEYS, 'weights_sha256'))
                and (o_rec is None or o_rec['sha256'] == ref[oo]['onnx']['sha256']))
        o_unknown = json_ok and os_ == 'modified' and x['resign'] and (  # a re-signed flipped byte or unknown field may be harmless
            x['onnx'][0] == 'flip' or (x['onnx'][0] == 'onnx_meta_edit' and state.get('onnx_edit') == 'extra'))
        w_unknown = json_ok and ws == 'modified' and x['resign'] and x['weights'][0] == 'flip'  # a changed weight, re-signed: undetectable
        return d, jm, json_ok, js, w_ok, o_ok, o_unknown, w_unknown, state

    def run(self, x):
        from quickdraw_nb.modelfile import check_model_meta, read_model_meta, load_model
        from quickdraw_nb.predictor import load_predictor
        d, jm, json_ok, js, w_ok, o_ok, o_unknown, w_unknown, state = self.build(x)
        how = x['how']
        try:
            if how == 'check':
                if jm is None: self.invalid = None; return True
                self.invalid = not meta_ok(jm)
                check_model_meta(jm); return True
            if how == 'meta': self.invalid = not json_ok; read_model_meta(d); return True
            if how == 'load':
                self.invalid = None if w_unknown else not w_ok
                model, meta = load_model(d)
                return meta['vocab'] == jm['vocab']
            if how == 'onnx': self.invalid = None if o_unknown else not o_ok
            elif how == 'torch': self.invalid = None if w_unknown else not w_ok
            else: self.invalid = True if not (json_ok and (w_ok or o_ok)) else False if (w_ok and o_ok) else None
            p = load_predictor(d, how)
            pr = p.predict(self._x, 1)
            return p.vocab == jm['vocab'] and len(pr) == 2
        finally:
            if Path(state['marker']).exists(): raise SilentlyAccepted('a pickle in the model folder was unpickled')

def _parse_json(b):
    try: return json.loads(b.decode('utf-8'))
    except (ValueError, RecursionError): return None

class _Unpickle:
    "An object that, when unpickled, creates the folder `path` (a marker that code from the file ran)."
    def __init__(self, path): self.path = path
    def __reduce__(self): return (os.mkdir, (self.path,))

# ----------------------------------------------------------------------------------------------------------------------
# Target: YAML config files (read_yaml, load_config)

def _cfg_example(data,  # the data folder
                 bs:int=64,  # batch size
                 lr:float|None=None,  # learning rate
                 arch:str='resnet18',  # architecture
                 cats:str|None=None,  # categories, comma-separated
                 transform:str='fastai',  # augmentation (choices below)
                 resume:bool=False,  # continue a run
                 epochs:int=2):  # passes
    "A console script's signature, as the CLIs have."

CFG_OPTS = dict(bs=int, batch_size=int, lr=float, arch=str, model=str, cats=str, transform='choice', resume=bool, epochs=int)
CFG_DEST = dict(batch_size='bs', model='arch')
CFG_DEFAULT_NONE = {'lr', 'cats'}
TRUE, FALSE = ('1', 'true', 'yes', 'y', 'on'), ('0', 'false', 'no', 'n', 'off')

def cfg_value(opt, v):
    "(ok, converted value) of YAML value `v` for option `opt`, by the contract of 49_script (written again here)."
    t = CFG_OPTS[opt]
    if v is None: return (CFG_DEST.get(opt, opt) in CFG_DEFAULT_NONE), None
    if t is int:
        if type(v) is int: return True, v
        if type(v) is str and v.strip().lstrip('-').isascii() and v.strip().lstrip('-').isdigit() and v.strip().count('-') <= 1 \
           and not v.strip().startswith('--') and len(v) < 1000: return True, int(v)
        return False, None
    if t is float:
        if type(v) in (int, float):
            try: f = float(v)
            except OverflowError: return False, None
            return math.isfinite(f), f
        if type(v) is str:
            try: f = float(v)
            except ValueError: return False, None
            return math.isfinite(f), f
        return False, None
    if t is bool:
        if type(v) is bool: return True, v
        s = str(v).strip().lower() if type(v) in (int, str) else None
        return (True, s in TRUE) if s in TRUE + FALSE else (False, None)
    if t == 'choice': return (True, v) if v in ('fastai', 'none') else (False, None)
    if type(v) is str: return True, v
    if type(v) is int or (type(v) is float and math.isfinite(v)): return True, str(v)
    if type(v) is list and v and all(type(x) in (str, int, float) for x in v): return True, ','.join(map(str, v))
    return False, None

def cfg_oracle(doc):
    "(valid, expected {dest: value}) for a parsed config document."
    if doc is None: return True, {}
    if not isinstance(doc, dict): return False, None
    out = {}
    for k, v in doc.items():
        if type(k) is not str: return False, None
        k = k.replace('-', '_')
        if k not in CFG_OPTS: return False, None
        ok, val = cfg_value(k, v)
        d = CFG_DEST.get(k, k)
        if not ok or d in out: return False, None  # the same option twice (an alias and its name)
        out[d] = val
    return True, out

YAML_VALUES = ['32', '-1', '0', '3.5', '1e-3', '1.0e-3', '.nan', '.inf', '-.inf', '1e400', '1.0e+400', 'many', 'true', 'false', 'yes',
               'no', 'on', '~', 'null', '', '[1, 2]', '[cat, owl]', '[]', '{a: 1}', '{}', '"12"', "'yes'", '0x1f', '0o17', '0b101', '1_000',
               '+12', '9' * 400, '9' * 5000, '-' + '9' * 30, '!!binary aGVsbG8=', '!!set {a, b}', '2020-01-01', '2020-01-01 10:00:00',
               '!!python/object/apply:os.system ["true"]', '!!str 12', '!!int "12"', '!!float 1', '*nothing', '&x 5', 'fastai', 'none',
               'resnet10t', '"a\\u0000b"', "'--5'", "'١٢'", '"\\xff"', '[[[1]]]', '|\n  block\n  text', '>-\n  folded', '"x"' * 1,
               'x' * 100_000, '!!timestamp 2001-12-14']

def laughs(levels, width):
    lines = ['a0: &a0 [' + ', '.join(['lol'] * width) + ']']
    for i in range(1, levels): lines.append(f'a{i}: &a{i} [' + ', '.join([f'*a{i-1}'] * width) + ']')
    size, total = 1 + width, 1 + 1 + (1 + width)
    for i in range(1, levels): size = 1 + width * size; total += 1 + size
    return '\n'.join(lines) + '\n', total

@target('yaml_config')
class YamlConfigTarget:
    "read_yaml and load_config on generated and mutated config files: wrong types, unknown keys, aliases, nesting, size, garbage."
    modules = ('quickdraw_nb.script', 'yaml')
    def seeds(self): return None
    def warm(self):
        from quickdraw_nb.script import script_parser
        from typing import Literal
        f = _cfg_example
        f.__annotations__['transform'] = Literal['fastai', 'none']
        self._p = script_parser(f, aliases={'bs': ['batch_size'], 'arch': ['model']})
    def valid_doc(self, rng):
        keys = rng.sample(list(CFG_OPTS), rng.randint(0, 4))
        good = dict(bs=['32', '1', '-3'], batch_size=['8'], lr=['0.001', '1e-3', '3', '"0.5"'], arch=['resnet10t', '18', '"x y"'],
                    model=['sketch_cnn'], cats=['cat,owl', '[cat, owl]', '[1, 2.5]'], transform=['fastai', 'none'],
                    resume=['true', 'no', 'on', '1', '"yes"'], epochs=['3'])
        return {k: rng.choice(good[k]) for k in keys}
    def inputs(self, rng, n, seeds):
        for i in range(n):
            doc = self.valid_doc(rng)
            k = rng.random()
            tag = None  # None: judge the parsed document; ('read', ok): read_yaml's verdict is known, load_config refuses
            if k < 0.35:  # one value odd
                doc[rng.choice(list(CFG_OPTS))] = rng.choice(YAML_VALUES)
                text = ''.join(f"{k}: {v}\n" if '\n' not in v else f"{k}: {v}\n" for k, v in doc.items())
            elif k < 0.45:  # unknown, duplicated or odd keys
                j = rng.randrange(5)
                text = ''.join(f"{k}: {v}\n" for k, v in doc.items())
                if j == 0: text += rng.choice(['arhc: x\n', 'data: d\n', 'config: c.yaml\n', 'help: true\n', '1: 2\n', '? [a]\n: b\n',
                                               'null: 1\n', 'true: 1\n', '"": 1\n', '<<: {bs: 3}\n', 'bs-: 1\n', 'batch-size: 4\n'])
                elif j == 1: text += 'bs: 7\nbs: 8\n'; tag = ('dup',)
                elif j == 2: text += 'bs: 7\nbatch_size: 8\n'
                elif j == 3: text = 'base: &b {bs: 3}\n' + text
                else: text = rng.choice(['<<: {bs: 3, lr: 0.1}\n', '<<: [{bs: 3}, {lr: 0.1}]\n']) + text
            elif k < 0.55:  # not a mapping, several documents
                text = rng.choice(['- a\n- b\n', 'x\n', '3\n', '[]\n', '"str"\n', 'bs: 1\n---\nbs: 2\n', '---\n', '...\n', '', '# only a comment\n',
                                   '---\nbs: 1\n', '%YAML 1.2\n---\nbs: 1\n', '!!map {bs: 1}\n', '!!python/name:os.system\n', '? bs\n'])
            elif k < 0.65:  # billion laughs and self-reference
                j = rng.randrange(3)
                if j == 0:
                    text, total = laughs(rng.choice([2, 3, 4, 9, 12]), rng.choice([2, 5, 9, 10]))
                    tag = ('read', total <= 10_000)
                elif j == 1: text, tag = 'a: &a [*a]\n', ('read', None)
                else: text, tag = rng.choice(['bs: &a 3\nepochs: *a\n', 'x: &a [1, 2]\ny: *a\n']), None
            elif k < 0.75:  # deep nesting
                d = rng.choice([5, 19, 20, 21, 30, 1000, 100_000])
                j = rng.randrange(3)
                if j == 0: text, depth = '[' * d + ']' * d + '\n', d
                elif j == 1: text, depth = 'cats: ' + '[' * d + 'x' + ']' * d + '\n', d + 2
                else: text, depth = ''.join('  ' * i + f'k{i}:\n' for i in range(min(d, 3000))) + '  ' * min(d, 3000) + 'x\n', min(d, 3000) + 1
                tag = ('read', depth <= 20 and len(text) <= 1 << 20)
            elif k < 0.82:  # size
                m = rng.choice([(1 << 20) - 20, (1 << 20) + 1, 5 << 20, 200_000])
                text = rng.choice(['arch: ' + 'x' * m + '\n', '# ' + 'c' * m + '\nbs: 3\n', 'cats: [' + 'a,' * (m // 2) + 'a]\n',
                                   ''.join(f'k{i}: {i}\n' for i in range(m // 10))])
                tag = ('read', None if len(text.encode()) <= 1 << 20 else False)
            elif k < 0.92:  # bytes
                text = byte_mutation(rng, ''.join(f"{k}: {v}\n" for k, v in doc.items()).encode() or b'bs: 3\n')
            else: text = rng.choice([random_bytes(rng), b'\xff\xfe' + 'bs: 3\n'.encode('utf-16-le'), b'bs: 3\x00\n', b'\xef\xbb\xbfbs: 3\n',
                                     b'bs: \xc3\n', b'\t bs: 3\n', b'bs:\t3\n', b'{bs: 3', b'"bs: 3\n'])
            yield dict(data=text.encode('utf-8', 'surrogatepass') if isinstance(text, str) else text, tag=tag,
                       how=rng.choice(['load', 'load', 'read']))

    def run(self, x):
        import yaml
        from quickdraw_nb.script import read_yaml, load_config
        from quickdraw_nb.core import DataError
        p = _Files.dir()/'config.yaml'; p.write_bytes(x['data'])
        tag, data = x['tag'], x['data']
        doc, parsed = None, False
        if tag is None and len(data) <= 200_000 and b'&' not in data and b'*' not in data:
            try: doc, parsed = yaml.load(data.decode('utf-8'), Loader=_NoDupLoader), True  # small, alias-free: the oracle reads it itself
            except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError, OverflowError, _Dup): doc, parsed = None, 'bad'
            if parsed is True and self.depth(doc) > 20: parsed = 'bad'
        if tag == ('dup',): parsed = 'bad'
        if x['how'] == 'read':
            if tag and tag[0] == 'read': self.invalid = None if tag[1] is None else not tag[1]
            else: self.invalid = True if parsed == 'bad' else False if parsed is True else None
            got = read_yaml(p)
            return (not parsed is True) or _same_yaml(got, doc)
        if tag and tag[0] == 'read': self.invalid = True if tag[1] is False else None
        elif parsed == 'bad': self.invalid = True
        elif parsed is True:
            ok, want = cfg_oracle(doc)
            self.invalid = not ok
        else: self.invalid, want = None, None
        try: got = load_config(p, self._p)
        except DataError as e:
            if parsed is True and isinstance(doc, dict) and not self.invalid is False:  # a bad key or value: named in the message?
                bad = [k for k, v in doc.items() if type(k) is str and (k.replace('-', '_') not in CFG_OPTS or not cfg_value(k.replace('-', '_'), v)[0])]
                named = [k for k in doc if type(k) is str] + [CFG_DEST.get(k.replace('-', '_'), '') for k in doc if type(k) is str]
                if bad and not any(repr(b.replace('-', '_')) in str(e) or repr(b) in str(e) for b in named):
                    raise WrongResult(f"the message does not name the key {bad[0]!r}: {str(e)[:150]}")
            raise
        if parsed is True and not self.invalid: return _same_yaml(got, want)
        return True

    @staticmethod
    def depth(v, d=1):
        if isinstance(v, dict): return max([d] + [YamlConfigTarget.depth(x, d + 1) for x in v.values()] + [YamlConfigTarget.depth(x, d + 1) for x in v])
        if isinstance(v, list): return max([d] + [YamlConfigTarget.depth(x, d + 1) for x in v])
        return d

class _Dup(Exception): pass

def _no_dup_loader():
    import yaml
    class L(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            keys = [(k.tag, k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != 'tag:yaml.org,2002:merge']
            if len(keys) != len(set(keys)): raise _Dup()
            return super().construct_mapping(node, deep)
    return L

class _NoDupLoaderProxy:
    "yaml.SafeLoader refusing repeated keys (made on first use: yaml is imported in the worker)."
    def __call__(self, stream):
        if not hasattr(self, 'L'): self.L = _no_dup_loader()
        return self.L(stream)
_NoDupLoader = _NoDupLoaderProxy()

def _same_yaml(a, b):
    try: return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError): return a == b

class WrongResult(Exception): "A result (or a refusal) that breaks the output contract: counted as 'wrong result'."

# ----------------------------------------------------------------------------------------------------------------------
# Target: the HTTP API (quickdraw_nb.serve), in-process through FastAPI's TestClient

SERVE_LIMITS = dict(max_body=1_000_000, max_strokes=200, max_points=20_000, max_side=2048, max_k=20)

@target('http_api')
class HttpApiTarget:
    "Requests to /predict/strokes, /predict/array, /predict/image and /health: mutated real drawings, bodies, types and sizes."
    modules = ('quickdraw_nb.serve', 'fastapi.testclient')
    def seeds(self):
        from quickdraw_nb.bitmaps import load_bitmaps, stratified_split
        from quickdraw_nb.datablock import bitmap_dataloaders
        from quickdraw_nb.learner import timm_learner, save_model
        from PIL import Image
        root = Path(tempfile.mkdtemp(prefix='qdfuzz-serve-'))
        bm = load_bitmaps(shared('bitmap'), cats=['apple', 'eye', 'fish'], max_per_cat=20)
        save_model(timm_learner(bitmap_dataloaders(bm, bs=8, valid_idx=stratified_split(bm.labels, 0.2, 0)[1]), 'sketch_cnn_s'), root/'model')
        pngs = []
        for i, a in enumerate(np.asarray(bm.images[:4])):
            im = Image.fromarray(255 - a.reshape(28, 28))
            if i == 1: im = im.resize((300, 200))
            if i == 2: im = im.convert('RGBA')
            b = io.BytesIO(); im.save(b, 'PNG'); pngs.append(b.getvalue())
        return dict(model=str(root/'model'), simplified=seed_lines('simplified', 3), raw=seed_lines('raw', 2), pngs=pngs,
                    arrays=[np.asarray(a).reshape(28, 28).tolist() for a in bm.images[:4]])

    def warm(self):
        pass

    def client(self, model):
        if getattr(self, '_client', None) is None:
            from quickdraw_nb.serve import create_app, Limits
            from fastapi.testclient import TestClient
            self._client = TestClient(create_app(model, Limits(**SERVE_LIMITS), warm_up=False), raise_server_exceptions=False)
        return self._client

    def inputs(self, rng, n, seeds):
        for i in range(n):
            k = rng.random()
            x = dict(model=seeds['model'], method='POST', headers={}, params={}, expect=None)
            if k < 0.4: x.update(self.strokes(rng, seeds))
            elif k < 0.6: x.update(self.array(rng, seeds))
            elif k < 0.85: x.update(self.image(rng, seeds))
            else:
                j = rng.randrange(6)
                x.update(path=rng.choice(['/health', '/', '/predict/strokes', '/predict', '/openapi.json', '/predict/strokes/../health',
                                          '/%00', '/predict/array?k=1', '/docs']), method=rng.choice(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']),
                         body=random_bytes(rng) if j < 2 else None, expect=None,
                         headers={'content-type': rng.choice(['application/json', 'text/plain', 'multipart/form-data', 'x/y', ''])} if j < 3 else {})
            yield x

    def k_value(self, rng):
        k = rng.choice([3, 3, 1, 3, 0, -1, 20, 21, 4, 10**30, '3', 3.0, 3.5, True, None, 'x', [3], float('nan')])
        valid = True if k in (1, 3) and type(k) is int else None if k in ('3', 3.0) or (type(k) is int and k == 20) else False
        if type(k) is int and k > 3 and k <= 20: valid = False  # more classes than the model has
        return k, valid

    def strokes(self, rng, seeds):
        fmt = rng.choice(['simplified', 'raw'])
        rec = json.loads(rng.choice(seeds[fmt]))
        body = dict(drawing=rec['drawing'])
        if fmt == 'raw' or rng.random() < 0.1: body['format'] = fmt if rng.random() < 0.9 else rng.choice(['svg', 3, None, 'RAW', ''])
        kk, kvalid = self.k_value(rng)
        if rng.random() < 0.5: body['k'] = kk
        else: kvalid = True
        if rng.random() < 0.2: body['preview'] = rng.choice([True, False, 'yes', 1, None, [1]])
        j = rng.random()
        if j < 0.5:
            m = mutate_record(rng, dict(drawing=body['drawing']))
            if isinstance(m, dict) and 'drawing' in m: body['drawing'] = m['drawing']
            elif isinstance(m, dict): body.pop('drawing')
            else: body = m
        data = json.dumps(body, allow_nan=True).encode()
        if 0.5 <= j < 0.7: data = byte_mutation(rng, data)
        elif 0.7 <= j < 0.74: data = rng.choice([b'{"drawing": ' + b'[' * 100_000 + b']' * 100_000 + b'}', b'[' * 10_000, b'',
                                                 b'{"drawing": [' + b'[[1],[1]],' * 120_000 + b'[[1],[1]]]}', b'\xff\xfe', b'null',
                                                 b'{"drawing": [[[1e999], [1]]]}', b'{"drawing": [[[' + b'9' * 5000 + b'], [1]]]}'])
        headers = {'content-type': 'application/json'} if rng.random() < 0.9 else {'content-type': rng.choice(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin-1', ''])}
        expect = None
        if j >= 0.74 or j < 0.5:
            body_ok = isinstance(body, dict) and set(body) <= {'drawing', 'format', 'k', 'preview'} and 'drawing' in body
            f = body.get('format', 'simplified') if isinstance(body, dict) else None
            if body_ok and f in ('simplified', 'raw') and kvalid is not None and body.get('preview', False) in (True, False):
                dr = body['drawing']
                good = drawing_ok(dr, f) and isinstance(dr, list) and len(dr) <= 200 and sum(len(s[0]) for s in dr) <= 20_000
                expect = good and kvalid and headers['content-type'].startswith('application/json')
                if good and kvalid and f == 'raw': expect = None  # raw -> simplified may still leave nothing to draw
            elif kvalid is False or f not in ('simplified', 'raw', None): expect = False
        return dict(path='/predict/strokes', body=data, headers=headers, expect=expect, kind='strokes')

    def array(self, rng, seeds):
        px = json.loads(json.dumps(rng.choice(seeds['arrays'])))
        kk, kvalid = self.k_value(rng)
        body = dict(pixels=px, k=kk) if rng.random() < 0.6 else dict(pixels=px)
        if 'k' not in body: kvalid = True
        j = rng.randrange(10)
        valid = True
        if j == 0: px[rng.randrange(28)][rng.randrange(28)] = rng.choice([-1, 256, 1.5, float('nan'), float('inf'), 'x', None, True, [1], 10**400 if False else 1e300]); valid = False
        elif j == 1: body['pixels'] = [v for row in px for v in row]  # flat 784: valid
        elif j == 2: body['pixels'] = rng.choice([px[:27], [r[:27] for r in px], [], [[]], [px[0]] * 28 + [[0]], px + [px[0]], 'x', 3, None, {}]); valid = False
        elif j == 7: body['pixels'] = [px]  # (1, 28, 28): one channel of 28x28, accepted
        elif j == 3: body['pixels'] = [[float(v) for v in r] for r in px]  # 0.0-255.0 integers: accepted
        elif j == 4: px[0] = px[0][:5]; valid = False  # ragged
        elif j == 5: body = rng.choice([[body], 'x', {}, {'pixel': px}]); valid = False
        data = json.dumps(body, allow_nan=True).encode()
        expect = (valid and kvalid) if kvalid is not None else (False if not valid else None)
        if j == 6: data, expect = byte_mutation(rng, data), None
        return dict(path='/predict/array', body=data, headers={'content-type': 'application/json'}, expect=expect, kind='array')

    def image(self, rng, seeds):
        data = rng.choice(seeds['pngs'])
        j = rng.random()
        expect = True
        if j < 0.4: data, expect = byte_mutation(rng, data), None
        elif j < 0.55: data, expect = rng.choice([png_with_size(1, 65281), png_with_size(65535, 65535), png_with_size(2049, 10),
                                                  png_with_size(3000, 3000), png_with_size(0, 5), gif_with_size(10, 10), b'', random_bytes(rng),
                                                  png_with_size(100, 100)]), False
        kk, kvalid = self.k_value(rng)
        params = {'k': str(kk)} if rng.random() < 0.5 else {}
        if not params: kvalid = True
        elif kk in ('3', 3.0): kvalid = True
        if kvalid is False: expect = False
        elif kvalid is None and expect: expect = None
        how = rng.random()
        if how < 0.8:
            field = 'file' if rng.random() < 0.9 else rng.choice(['image', 'files', ''])
            if field != 'file': expect = False
            ctype = rng.choice(['image/png', 'image/png', 'application/octet-stream', 'text/plain', ''])
            return dict(path='/predict/image', files={field: ('d.png', data, ctype)}, params=params, expect=expect, kind='image')
        body = rng.choice([data, b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n' + data + b'\r\n--x--\r\n',
                           b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + data, b'file=' + data])
        ct = rng.choice(['multipart/form-data; boundary=x', 'multipart/form-data', 'image/png', 'application/x-www-form-urlencoded',
                         'multipart/form-data; boundary="' + 'x' * 100 + '"'])
        return dict(path='/predict/image', body=body, headers={'content-type': ct}, params=params, expect=None, kind='image')

    def run(self, x):
        c = self.client(x['model'])
        self.invalid = None
        kw = dict(headers=x.get('headers') or {}, params=x.get('params') or {})
        if x.get('files') is not None: r = c.request(x['method'], x['path'], files=x['files'], **kw)
        else: r = c.request(x['method'], x['path'], content=x.get('body'), **kw)
        if r.status_code >= 500: raise HttpError(f"HTTP {r.status_code} {r.text[:200]}")
        ok = r.status_code < 400
        if x['method'] == 'POST' and x['path'].startswith('/predict/'):
            if x.get('expect') is True and not ok: raise WrongResult(f"valid request refused: {r.status_code} {r.text[:200]}")
            self.invalid = {True: False, False: True}.get(x.get('expect'))
        if not ok and x['method'] != 'HEAD':
            try: detail = r.json().get('detail')
            except (ValueError, AttributeError): detail = None
            if not detail: raise WrongResult(f"HTTP {r.status_code} without a detail: {r.text[:200]}")
            if (h := c.get('/health')).status_code != 200: raise HttpError(f"not serving after HTTP {r.status_code}: /health answered {h.status_code}")
        if ok and x['path'].startswith('/predict/') and x['method'] == 'POST':
            preds = r.json()['predictions']
            return all(p['class'] in ('apple', 'eye', 'fish') and 0 <= p['probability'] <= 1 for p in preds) and 1 <= len(preds) <= 3
        if not ok: raise _Refused()
        return True

class HttpError(Exception): "An HTTP 5xx answer, or a server that stopped serving: a crash."
class _Refused(Exception): "A 4xx answer with a detail: the request was refused, as the contract wants for a bad one."

# ----------------------------------------------------------------------------------------------------------------------
# The runner: worker processes with a time limit per input

def _worker(conn, names, plugins):
    import warnings; warnings.filterwarnings('ignore')
    for m in plugins: __import__(m)
    from quickdraw_nb.core import DataError
    targets = {n: TARGETS[n]() for n in names}
    for t in targets.values():  # import what the targets use now, so that no input pays for it under the time limit
        for m in getattr(t, 'modules', ()): __import__(m)
        if hasattr(t, 'warm'): t.warm()
    conn.send('ready')
    while True:
        msg = conn.recv()
        if msg is None: return
        name, x = msg
        t = targets[name]; t.invalid = None
        cpu0 = time.process_time()
        try:
            with contextlib.redirect_stdout(io.StringIO()): good = t.run(x)  # the library's own reports are not wanted here
            res = ('silent', f"accepted: {_brief(x)}") if t.invalid else ('ok', None) if good else ('wrong result', f"result: {_brief(x)}")
        except SilentlyAccepted as e: res = ('silent', f"{str(e)[:200]}: {_brief(x)}")
        except WrongResult as e: res = ('wrong result', f"{str(e)[:200]}: {_brief(x)}")
        except (DataError, FileNotFoundError, _Refused) as e:
            res = ('wrong result', f"valid input refused: {str(e)[:200]}") if t.invalid is False else ('refused', None)
        except BaseException as e:
            res = ('crash', f"{type(e).__name__}: {str(e)[:160]} | {traceback.format_exc(limit=-2).splitlines()[-3].strip()[:160]}")
        cpu = time.process_time() - cpu0
        if cpu > float(os.environ.get('QDFUZZ_CPU_LIMIT', 10)): res = ('hang', f"{cpu:.1f} s of CPU ({res[0]}): {_brief(x)}")
        conn.send(res)

def _brief(x) -> str:
    return repr({k: (v[:120] if isinstance(v, (bytes, str)) else v) for k, v in x.items()} if isinstance(x, dict) else x)[:300]

class Worker:
    def __init__(self, names, plugins=()):
        self.names, self.plugins = names, list(plugins); self.start()
    def start(self):
        ctx = mp.get_context('spawn')
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, self.names, self.plugins), daemon=True)
        self.proc.start()
        if not self.conn.poll(300): raise RuntimeError('worker did not start')
        self.conn.recv()
    def run(self, name, x, timeout):
        try: self.conn.send((name, x))
        except (BrokenPipeError, OSError): self.restart(); return 'crash', 'worker pipe broken'
        if self.conn.poll(timeout):
            try: return self.conn.recv()
            except EOFError: pass
            self.proc.join(5)
            code = self.proc.exitcode
            self.restart(); return 'crash', f"worker died (exit code {code}: {'signal ' + str(-code) if code and code < 0 else ''})"
        self.restart(); return 'hang', _brief(x)
    def restart(self):
        self.proc.kill(); self.proc.join(); self.start()
    def close(self):
        try: self.conn.send(None)
        except OSError: pass
        self.proc.join(5); self.proc.kill()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=10_000, help='inputs per target')
    ap.add_argument('--targets', default='', help=f"comma-separated (default: all), from: {', '.join(TARGETS)}")
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--timeout', type=float, default=10., help='CPU seconds after which one input counts as a hang')
    ap.add_argument('--wall', type=float, default=6., help='an input still running after this many times --timeout of wall-clock '
                    'time is killed and counted as a hang (the wall clock is generous: the machine may be shared)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--examples', type=int, default=3, help='crash messages shown per target')
    ap.add_argument('--plugins', default='', help='comma-separated modules that register more targets (import path)')
    args = ap.parse_args()
    names = [t for t in args.targets.split(',') if t]
    if not names: names = list(TARGETS)
    if unknown := [t for t in names if t not in TARGETS]: sys.exit(f"unknown targets {unknown}: choose from {list(TARGETS)}")
    for m in args.plugins.split(','):
        if m: __import__(m)  # modules that register more targets with @target
    os.environ['QDFUZZ_CPU_LIMIT'] = str(args.timeout)
    root = Path(tempfile.mkdtemp(prefix='qdfuzz-root-'))/'root'; root.mkdir()
    os.environ['QDFUZZ_ROOT'] = str(root.resolve())
    path_fixture(root.resolve())
    t0 = time.time()
    workers = [Worker(names, [m for m in args.plugins.split(',') if m]) for _ in range(args.workers)]
    print(f"{len(workers)} workers ready in {time.time() - t0:.0f}s; {args.n} inputs per target, a hang is over {args.timeout:g} s of CPU "
          f"(or {args.timeout * args.wall:g} s wall-clock) for one input", flush=True)
    table = []
    for name in names:
        tgt = TARGETS[name]()
        rng = random.Random(f"{args.seed}-{name}")
        seeds = tgt.seeds()
        it = iter(tgt.inputs(rng, args.n, seeds))
        lock = threading.Lock(); counts = Counter(); examples = defaultdict(list); t1 = time.time()
        def loop(w):
            while True:
                with lock:
                    try: x = next(it)
                    except StopIteration: return
                res, info = w.run(name, x, args.timeout * args.wall)
                with lock:
                    counts[res] += 1
                    if info and len(examples[res]) < args.examples: examples[res].append(info)
        threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
        for t in threads: t.start()
        for t in threads: t.join()
        n = sum(counts.values())
        table.append((name, n, counts['crash'], counts['hang'], counts['silent'], counts['wrong result'], counts['refused'], time.time() - t1))
        print(f"{name}: {n} inputs in {time.time() - t1:.0f}s: {dict(counts)}", flush=True)
        for k, ex in examples.items():
            for e in ex: print(f"   {k}: {e}", flush=True)
    for w in workers: w.close()
    print(f"\n| target | inputs | crashes | hangs | silently accepted | wrong result or valid input refused* | refused | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in table: print(f"| `{r[0]}` | {r[1]:,} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]:,} | {r[7]:.0f} |")
    print("\n* informational: a valid input (by the target's oracle) refused, or a result that breaks the output contract")
    print(f"total {time.time() - t0:.0f}s")
    return 1 if any(r[2] or r[3] or r[4] for r in table) else 0

if __name__ == '__main__': sys.exit(main())
