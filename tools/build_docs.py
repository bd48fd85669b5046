#!/usr/bin/env python
"""Build the documentation site as static HTML without Quarto (`make docs`).

    python tools/build_docs.py                 # _proc/ (processed notebooks) and _docs/ (the site)
    python tools/build_docs.py --out /tmp/site # the site somewhere else (processed notebooks go beside it)
    python tools/build_docs.py --check         # build the site in a temporary folder; check every page and internal link

Where Quarto is installed, nbdev's own `nbdev_docs` / `nbdev_preview` build the site from `nbs/_quarto.yml`.
Quarto cannot be installed offline, so this script does the same two steps with what pip installs:

1. nbdev's own processing of every notebook, `nbdev.serve.proc_nbs` (what `nbdev_proc_nbs` and `nbdev_preview` run,
   into `_proc/`, redoing only notebooks changed since): front matter from the title cell, `show_doc` cells added after
   every exported name and executed (the API reference), exported code and hidden cells removed, backticked names
   linked to their reference. nbdev executes every cell that contains an import, so the notebooks keep imports in cells
   of their own; nbdev warns about a cell that mixes them with other code, and here that warning fails the build.
2. Each processed notebook rendered with nbconvert (the `basic` template, markdown by mistune, no pandoc) into a page
   with a sidebar listing the pages in reading order by their titles (home, library notebooks, tutorials); links
   between notebooks (`x.ipynb`) and nbdev's links to the published site become relative links between pages. Cell
   options are read with nbdev's `extract_directives`.

The check verifies that every notebook gave a page, and that every internal link (to another page, to a file of the
site, or to an anchor) resolves; it prints the problems and exits 1 if any.
"""
import argparse, html, os, re, shutil, sys, tempfile, time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote

root = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- step 1: nbdev's processing

# nbdev warns about a cell that mixes imports with other code (its docs processing executes every import cell, so the
# rest of such a cell would run out of order): PYTHONWARNINGS reaches nbdev's worker processes and makes that an error
MIXED_IMPORTS = 'error:Found cells containing imports and other code'

def process_all(n_workers:int=2, force:bool=False) -> tuple[Path|None, list[str]]:
    "nbdev's `proc_nbs` (what `nbdev_proc_nbs` runs) into `_proc/`, cached by modification time: `(folder, errors)`."
    from nbdev.serve import proc_nbs
    old = os.environ.get('PYTHONWARNINGS')
    os.environ['PYTHONWARNINGS'] = ','.join(w for w in (old, MIXED_IMPORTS) if w)
    try: return Path(proc_nbs(n_workers=n_workers, force=force)), []
    except Exception as e:
        msg = str(e)
        if 'containing imports and other code' in msg:
            msg = "a cell mixes imports with other code (nbdev's docs build executes it: put the imports in a cell of their own):\n" + msg
        return None, [f'{type(e).__name__}: {msg}'[-3000:]]
    finally:
        if old is None: os.environ.pop('PYTHONWARNINGS', None)
        else: os.environ['PYTHONWARNINGS'] = old

def notebooks(nbs:Path) -> list[Path]:
    from nbdev.doclinks import nbglob
    return sorted(Path(f) for f in nbglob(nbs, as_path=True))

# ---------------------------------------------------------------- step 2: static HTML

def _frontmatter(nb) -> dict:
    "Title, description and output file from nbdev's front-matter cell (a raw cell of YAML between --- lines)."
    import yaml
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.lstrip().startswith('---'):
            fm = yaml.safe_load(c.source.strip().strip('-')) or {}
            nb.cells.remove(c); return fm
    return {}

def slug(text:str) -> str:
    "The anchor Quarto (and nbdev's links) give a heading: lower case, spaces to dashes, only word characters, '.', '-'."
    text = re.sub(r'<[^>]+>', '', html.unescape(text)).strip().lower()
    return re.sub(r'[^\w.\- ]', '', text).replace(' ', '-')

def _clean_for_html(nb):
    "Quarto-only syntax out of the processed notebook: cell options, `{attr=...}` after links, hidden input/output."
    from nbdev.process import extract_directives, first_code_ln
    for c in nb.cells:
        if c.cell_type == 'markdown': c.source = re.sub(r'\]\(([^)]*)\)\{[^}]*\}', r'](\1)', c.source)
        if c.cell_type != 'code': continue
        d = extract_directives(c, remove=False)  # nbdev's parser; the Quarto options nbdev's processing leaves
        lines = c.source.splitlines()
        c.source = '\n'.join(lines[first_code_ln(lines) or len(lines):]).strip() if lines else ''
        c.metadata['hide_input'] = d.get('echo:') == ['false'] or d.get('include:') == ['false'] or not c.source
        if d.get('output:') == ['false'] or d.get('include:') == ['false']: c.outputs = []
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md is not None:
                o['data']['text/markdown'] = re.sub(r'\]\(([^)]*)\)\{[^}]*\}', r'](\1)', ''.join(md) if isinstance(md, list) else md)
                o['data'].pop('text/plain', None)

def _page_name(rel:Path, fm:dict) -> str:
    "The page a notebook becomes: nbdev's `output-file` (numbered notebooks lose their number), else the notebook name."
    out = fm.get('output-file') or rel.with_suffix('.html').name
    return str(rel.parent/out) if str(rel.parent) != '.' else out

class _Links(HTMLParser):
    "Collect ids and hrefs/srcs of a page."
    def __init__(self):
        super().__init__(); self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) is not None and not (tag == 'link' and k == 'href' and a.get('rel') != 'stylesheet'): self.links.append(a[k])

def _add_heading_ids(body:str) -> str:
    "Give every heading the anchor nbdev links to (`slug` of its text), keeping nbconvert's own anchors too."
    seen = set()
    def fix(m):
        tag, attrs, inner = m.group(1), m.group(2), m.group(3)
        text = re.sub(r'<a class="anchor-link".*?</a>', '', inner)
        sid = slug(text)
        while sid in seen: sid += '-1'
        seen.add(sid)
        old = re.search(r'id="([^"]*)"', attrs)
        extra = f'<a name="{html.escape(old.group(1))}"></a>' if old and old.group(1) != sid else ''
        attrs = re.sub(r'\s*id="[^"]*"', '', attrs)
        return f'<{tag}{attrs} id="{html.escape(sid)}">{extra}{inner}</{tag}>'
    return re.sub(r'<(h[1-6])([^>]*)>(.*?)</\1>', fix, body, flags=re.S)

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – {site}</title><link rel="stylesheet" href="{up}site.css"><link rel="stylesheet" href="{up}styles.css"></head>
<body><nav class="sidebar"><a class="site" href="{up}index.html">{site}</a>{sidebar}</nav>
<main><header><h1 class="title" id="title">{title}</h1>{description}</header>
{body}
</main></body></html>
"""

SITE_CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; color: #212529; }
nav.sidebar { position: fixed; top: 0; bottom: 0; left: 0; width: 250px; overflow-y: auto; padding: 1em; background: #f7f7f9; border-right: 1px solid #ddd; font-size: 0.9em; }
nav.sidebar a { display: block; padding: 0.15em 0.3em; color: #2c3e50; text-decoration: none; border-radius: 3px; }
nav.sidebar a:hover { background: #e9ecef; } nav.sidebar a.active { background: #2780e3; color: white; }
nav.sidebar a.site { font-weight: bold; font-size: 1.2em; margin-bottom: 0.5em; }
nav.sidebar .section { margin-top: 1em; font-weight: bold; color: #6c757d; text-transform: uppercase; font-size: 0.8em; }
main { margin-left: 290px; max-width: 1000px; padding: 1em 2em 4em; }
header .description { font-size: 1.15em; color: #555; }
pre, code { font-family: SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
div.highlight pre, .output_area pre, div.output_text pre { background: #f8f9fa; padding: 0.6em; overflow-x: auto; border-radius: 4px; }
.jp-OutputArea-output pre { background: none; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { border: 1px solid #dee2e6; padding: 0.25em 0.6em; }
img { max-width: 100%; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
.jp-Cell { margin: 0.6em 0; }
.jp-RenderedHTMLCommon h3 { margin-top: 1.2em; }
hr { border: 0; border-top: 1px solid #ccc; margin: 2em 0 1em; }
"""

def _sidebar(pages:list[dict], here:str, up:str) -> str:
    sections = [('', [p for p in pages if p['section'] == 'home']), ('Library', [p for p in pages if p['section'] == 'library']),
                ('Tutorials', [p for p in pages if p['section'] == 'tutorials'])]
    out = []
    for name, ps in sections:
        if name and ps: out.append(f'<div class="section">{name}</div>')
        for p in ps:
            cls = ' class="active"' if p['page'] == here else ''
            out.append(f'<a{cls} href="{up}{p["page"]}">{html.escape(p["title"])}</a>')
    return '\n'.join(out)

def _rewrite_links(body:str, rel_nb:Path, nb_to_page:dict, here:str, site_url:str, git_url:str, nbs:Path) -> str:
    "Links to notebooks become links to their pages; links into the published site become relative; repository files go to GitHub."
    up = '../' * here.count('/')
    def fix(m):
        attr, url = m.group(1), html.unescape(m.group(2))
        if site_url and url.startswith(site_url): return f'{attr}="{up}{html.escape(url[len(site_url):].lstrip("/"))}"'
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(('#', 'mailto:')) or not parts.path: return m.group(0)
        frag = f'#{parts.fragment}' if parts.fragment else ''
        path = unquote(parts.path)
        for base in (nbs/rel_nb.parent, nbs.parent):  # relative to the notebook; README-style links from the repository root
            target = (base/path).resolve()
            try: key = target.relative_to(nbs.resolve())
            except ValueError: key = None
            if key is not None and str(key) in nb_to_page: return f'{attr}="{up}{nb_to_page[str(key)]}{frag}"'
            if key is not None and target.exists(): return f'{attr}="{up}{key}{frag}"'
            if target.exists() and git_url:  # a file of the repository that is not part of the site
                return f'{attr}="{git_url}/blob/main/{target.relative_to(nbs.parent.resolve())}{frag}"'
        return m.group(0)
    return re.sub(r'(href|src)="([^"]*)"', fix, body)

def render_site(nbs:Path, proc:Path, out:Path, cfg) -> list[dict]:
    "Render every processed notebook of `proc` into `out`; returns the pages (notebook, page, title, section)."
    import nbformat
    from nbconvert import HTMLExporter
    from pygments.formatters import HtmlFormatter
    exporter = HTMLExporter(template_name='basic', exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(_HideInput(), enabled=True)
    out.mkdir(parents=True, exist_ok=True)
    pages, nbs_read = [], {}
    for f in sorted(proc.rglob('*.ipynb')):
        rel = f.relative_to(proc)
        if any(p.startswith(('.', '_')) for p in rel.parts): continue
        nb = nbformat.read(f, as_version=4)
        fm = _frontmatter(nb)
        page = _page_name(rel, fm)
        section = 'home' if rel.name == 'index.ipynb' and rel.parent == Path('.') else 'tutorials' if rel.parts[0] == 'tutorials' else 'library'
        title = str(fm.get('title') or rel.stem)
        if section == 'home': title = 'Home'
        pages.append(dict(nb=str(rel), page=page, title=title, section=section, description=fm.get('description', '')))
        nbs_read[str(rel)] = nb
    nb_to_page = {p['nb']: p['page'] for p in pages}
    site_url = (cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/') if cfg.get('doc_host') else ''
    for p in pages:
        nb = nbs_read[p['nb']]
        _clean_for_html(nb)
        body, _ = exporter.from_notebook_node(nb)
        body = _add_heading_ids(body)
        body = _rewrite_links(body, Path(p['nb']), nb_to_page, p['page'], site_url, cfg.get('git_url', ''), nbs)
        up = '../' * p['page'].count('/')
        desc = re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(str(p['description'])))
        desc = f'<p class="description">{desc}</p>' if desc else ''
        title = cfg.get('title', 'docs') if p['section'] == 'home' else p['title']
        dest = out/p['page']
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(PAGE.format(title=html.escape(title), site=html.escape(cfg.get('title', '')), up=up, sidebar=_sidebar(pages, p['page'], up),
                                    description=desc, body=body), encoding='utf-8')
    (out/'site.css').write_text(SITE_CSS + HtmlFormatter().get_style_defs('.highlight'))
    for f in proc.rglob('*'):  # images, styles.css and other assets (not the tests' data)
        rel = f.relative_to(proc)
        if f.is_file() and f.suffix not in ('.ipynb', '.yml') and not any(x.startswith(('.', '_')) for x in rel.parts) \
           and rel.parts[0] != 'fixtures':
            (out/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, out/rel)
    if not (out/'styles.css').exists(): (out/'styles.css').write_text('')
    return pages

def _hide_input_cls():
    from nbconvert.preprocessors import Preprocessor
    class HideInput(Preprocessor):
        "Cells marked `hide_input` (nbdev's `echo: false`, e.g. show_doc cells) show only their output."
        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == 'code' and cell.metadata.get('hide_input'):
                cell.metadata.setdefault('transient', {})['remove_source'] = True
                cell.source = ''
            return cell, resources
    return HideInput

def _HideInput(): return _hide_input_cls()()

# ---------------------------------------------------------------- the check

def check_site(out:Path, pages:list[dict], nbs:Path) -> list[str]:
    "Every notebook has a page; every internal link (page, file, anchor) of every page resolves."
    problems = []
    rendered = {p['nb'] for p in pages}
    for f in notebooks(nbs):
        if str(f.relative_to(nbs)) not in rendered: problems.append(f'{f.relative_to(nbs)}: no page')
    ids = {}
    links = {}
    for f in out.rglob('*.html'):
        parser = _Links(); parser.feed(f.read_text(encoding='utf-8'))
        rel = str(f.relative_to(out)); ids[rel], links[rel] = parser.ids, parser.links
    for p in pages:
        if p['page'] not in ids: problems.append(f"{p['nb']}: page {p['page']} missing")
    n = 0
    for page, hrefs in links.items():
        for url in hrefs:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith('mailto:') or url.startswith('data:'): continue
            n += 1
            target = (out/page).parent/unquote(parts.path) if parts.path else out/page
            target = Path(os.path.normpath(target))
            try: key = str(target.relative_to(out))
            except ValueError: problems.append(f'{page}: link {url!r} leaves the site'); continue
            if not target.exists(): problems.append(f'{page}: link {url!r}: no such page or file'); continue
            if parts.fragment and key.endswith('.html') and not {parts.fragment, unquote(parts.fragment)} & ids.get(key, set()):
                problems.append(f'{page}: link {url!r}: no anchor #{parts.fragment} in {key}')
    check_site.n_links = n
    return problems

def build(out:Path, n_workers:int=2, force:bool=False) -> tuple[list[dict], list[str]]:
    from nbdev.config import get_config
    cfg = get_config(path=root)
    proc, errors = process_all(n_workers, force)
    if errors: return [], errors
    if out.exists(): shutil.rmtree(out)
    return render_site(cfg.nbs_path, proc, out, cfg), []

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=None, help='site folder (default: doc_path of settings.ini, _docs)')
    ap.add_argument('--check', action='store_true', help='build into a temporary folder and check pages and links')
    ap.add_argument('--force', action='store_true', help='process every notebook again')
    ap.add_argument('--n_workers', type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args()
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    os.chdir(root)  # nbdev finds settings.ini from here
    t0 = time.time()
    from nbdev.config import get_config
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            pages, errors = build(Path(tmp)/'site', args.n_workers, args.force)
            problems = errors or check_site(Path(tmp)/'site', pages, get_config(path=root).nbs_path)
        if problems:
            print(f'docs check failed ({len(problems)} problems):'); print('\n'.join(problems)); sys.exit(1)
        print(f'{len(pages)} pages rendered, {check_site.n_links} internal links resolve')
        return
    out = Path(args.out) if args.out else root/get_config(path=root).doc_path.name
    pages, errors = build(out, args.n_workers, args.force)
    if errors: print('\n'.join(errors)); sys.exit(1)
    problems = check_site(out, pages, get_config(path=root).nbs_path)
    print(f'wrote {len(pages)} pages to {out} ({time.time()-t0:.0f}s)' + (f'; {len(problems)} link problems:' if problems else ''))
    if problems: print('\n'.join(problems)); sys.exit(1)

if __name__ == '__main__': main()
