#!/usr/bin/env python
"""Authoring aid: write notebooks as plain "percent" scripts, convert both ways, execute in place.

    .venv/bin/python tools/nbpercent.py tonb  src.py  nbs/00_core.ipynb   # percent script -> notebook
    .venv/bin/python tools/nbpercent.py topy  nbs/00_core.ipynb [out.py]   # notebook -> percent script
    .venv/bin/python tools/nbpercent.py run   nbs/00_core.ipynb ...       # execute, keep outputs, nbdev_clean

Percent format: a line `# %%` starts a code cell, `# %% [markdown]` a markdown cell whose
lines are plain markdown (not commented). Cell ids are derived from the notebook name and
cell position, so converting the same script twice gives the same notebook.
The notebooks in nbs/ stay the source of truth; scripts are scratch files, never committed.
"""
import hashlib, json, re, sys
from pathlib import Path

_sep = re.compile(r'^# %%( \[markdown\])?\s*$')

def _cell_id(name, i): return hashlib.sha1(f'{name}:{i}'.encode()).hexdigest()[:8]

def _strip(lines):
    while lines and not lines[0].strip(): lines.pop(0)
    while lines and not lines[-1].strip(): lines.pop()
    return lines

def percent_to_nb(src:str, name:str) -> dict:
    cells, cur, kind = [], [], None
    def flush():
        if kind is None: return
        text = '\n'.join(_strip(list(cur)))
        cell = dict(cell_type=kind, id=_cell_id(name, len(cells)), metadata={}, source=text)
        if kind == 'code': cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    for line in src.splitlines():
        m = _sep.match(line)
        if m:
            flush(); cur, kind = [], 'markdown' if m.group(1) else 'code'
        elif kind is not None: cur.append(line)
    flush()
    return dict(cells=cells, nbformat=4, nbformat_minor=5,
                metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')))

def nb_to_percent(nb:dict) -> str:
    out = []
    for c in nb['cells']:
        src = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
        out.append('# %% [markdown]' if c['cell_type'] == 'markdown' else '# %%')
        out.append(src); out.append('')
    return '\n'.join(out)

def _write_nb(nb, dest):
    "Write as Jupyter does (nbformat: sorted keys, sources as lists of lines), then `nbdev_clean` it."
    import nbformat
    from nbdev.clean import nbdev_clean
    nbformat.write(nbformat.from_dict(nb), str(dest))
    nbdev_clean(str(dest))

def _skip_cell(cell) -> bool:
    "Skip `#| eval: false` cells, and `cuda` cells when there is no GPU (directives read by nbdev's parser)."
    if cell.cell_type != 'code': return False
    from nbdev.process import extract_directives
    d = extract_directives(cell, remove=False)
    if d.get('eval:') == ['false']: return True
    if 'cuda' in d:
        import torch
        return not torch.cuda.is_available()
    return False

def run_nb(fname, timeout:int|None=None):
    "Execute `fname` in place in a real Jupyter kernel (slow cells too; cuda ones only on a GPU), then `nbdev_clean` it."
    import nbformat
    from nbclient import NotebookClient
    from nbdev.clean import nbdev_clean
    fname = Path(fname).resolve()
    nb = nbformat.read(fname, as_version=4)
    skipped = {}
    for i, c in enumerate(nb.cells):
        if _skip_cell(c): skipped[i], c.source = c.source, ''
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(fname.parent)}}).execute()
    finally:
        for i, src in skipped.items(): nb.cells[i].source, nb.cells[i].outputs = src, []
        nbformat.write(nb, fname)
    nbdev_clean(str(fname))

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    if cmd == 'tonb':
        src, dest = args
        _write_nb(percent_to_nb(Path(src).read_text(), Path(dest).stem), dest)
    elif cmd == 'topy':
        txt = nb_to_percent(json.loads(Path(args[0]).read_text()))
        if len(args) > 1: Path(args[1]).write_text(txt)
        else: print(txt)
    elif cmd == 'run':
        for f in args: print('running', f, flush=True); run_nb(f)
    else: sys.exit(__doc__)
