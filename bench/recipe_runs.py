"""What bench/bitmaps_runs.py and bench/strokes_runs.py share: one full-budget `train_sketches` run of a named recipe
with some of its options changed, and where the tutorial reads the results."""
import csv, json, time
from pathlib import Path
from quickdraw_nb import recipes
from quickdraw_nb.train import train_sketches

RESULTS = Path(__file__).resolve().parents[1]/'nbs/tutorials/recipes_results'

def run_recipe(recipe:str, data:Path, name:str, overrides:str='{}', **kwargs) -> tuple[dict, list, dict, int]:
    """Train `recipe` with the JSON `overrides` (a 'seed' among them: the run's seed) into scratch/NAME; `kwargs`: more
    options of `train_sketches`."""
    over = json.loads(overrides)
    seed = over.pop('seed', 42)
    if unknown := set(over) - set(recipes.RECIPES[recipe]): raise SystemExit(f"unknown recipe options: {unknown}")
    recipes.RECIPES[recipe].update(over)  # `recipes.recipe(name)` copies it: today's recipe with these changes
    out = Path('scratch')/name
    t0 = time.perf_counter()
    train_sketches(data=data, recipe=recipe, out=out, seed=seed, progress=False, tensorboard=False, **kwargs)
    m = json.loads((out/'metrics.json').read_text())
    rows = list(csv.reader(open(out/'history.csv')))[1:]  # epoch, train_loss, valid_loss, top1, top3, map3, time
    hist = [[int(r[0])] + [round(float(v), 4) for v in r[1:-1]] for r in rows]
    print(f"{name}: top-1 {m['top1']:.4f}, MAP@3 {m['map3']:.4f}, {time.perf_counter() - t0:.0f} s")
    return m, hist, over, seed

def write_result(res:dict):
    "Write run `res` (with its `name`) where the recipes tutorial reads it."
    (RESULTS/f"{res['name']}.json").write_text(json.dumps(res, indent=1) + '\n')
