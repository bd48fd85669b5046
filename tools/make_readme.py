#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb without Quarto (what `nbdev_readme` does where Quarto is installed).

    python tools/make_readme.py          # write README.md
    python tools/make_readme.py --check  # exit 1 if README.md differs from what index.ipynb gives

Hidden cells (`#| hide`) are dropped, `#|` directives are stripped, code cells become python blocks and
their text outputs follow them as plain blocks.
"""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def _src(cell): return cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])

def _directives(src) -> set:
    "The names of a code cell's `#|` directives, read by nbdev's own parser (`hide`, `default_exp`, `echo:`, ...)."
    from fastcore.basics import AttrDict
    from nbdev.process import extract_directives
    return set(extract_directives(AttrDict(source=src, cell_type='code'), remove=False))

def _text_output(o):
    if o['output_type'] == 'stream': return ''.join(o['text']) if isinstance(o['text'], list) else o['text']
    data = o.get('data', {})
    if 'text/markdown' in data:
        md = data['text/markdown']; return ('md', ''.join(md) if isinstance(md, list) else md)
    if 'text/plain' in data:
        t = data['text/plain']; return ''.join(t) if isinstance(t, list) else t
    return None

def render(nb:dict) -> str:
    out = []
    for c in nb['cells']:
        src = _src(c)
        if c['cell_type'] == 'markdown': out.append(src.strip()); continue
        if c['cell_type'] != 'code': continue
        d = _directives(src)
        if 'hide' in d or 'default_exp' in d: continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code and 'hide_input' not in d and 'echo:' not in d: out.append(f'```python\n{code}\n```')
        if 'hide_output' in d: continue
        for o in c.get('outputs', []):
            t = _text_output(o)
            if t is None: continue
            if isinstance(t, tuple): out.append(t[1].strip())
            elif t.strip(): out.append(f'```\n{t.rstrip()}\n```')
    md = '\n\n'.join(x for x in out if x) + '\n'
    # the notebook's title cell becomes the README's first heading; drop nbdev's "> summary" marker style
    return re.sub(r'\n{3,}', '\n\n', md)

def main():
    nb = json.loads((root/'nbs'/'index.ipynb').read_text())
    md = render(nb)
    readme = root/'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != md:
            print('README.md is out of date: run `make readme` (tools/make_readme.py)'); sys.exit(1)
        print('README.md matches nbs/index.ipynb'); return
    readme.write_text(md)
    print(f'wrote {readme} ({len(md):,} characters)')

if __name__ == '__main__': main()
