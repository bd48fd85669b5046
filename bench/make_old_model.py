"""Write nbs/fixtures/models/test_efficientnet_old with the code of an older commit: `git worktree add /tmp/base 145b6f5`, then
   QUICKDRAW_SHARED=../shared/data PYTHONPATH=/tmp/base .venv/bin/python bench/make_old_model.py nbs/fixtures/models/test_efficientnet_old"""
import sys, numpy as np, torch
from pathlib import Path
import quickdraw_nb
assert quickdraw_nb.__file__.startswith('/tmp/base'), quickdraw_nb.__file__
from quickdraw_nb.core import shared_data
from quickdraw_nb.bitmaps import load_bitmaps
from quickdraw_nb.datablock import bitmap_dataloaders
from quickdraw_nb.learner import timm_learner, save_model
torch.manual_seed(0)
bm = load_bitmaps(shared_data()/'bitmap', cats=['apple', 'cat', 'fish'], max_per_cat=50)
dls = bitmap_dataloaders(bm, bs=16)
learn = timm_learner(dls, 'test_efficientnet')
out = Path(sys.argv[1])
save_model(learn, out)
x = np.stack([bm.images[i] for i in (0, 60, 120)])[:, None]
np.save(out/'inputs.npy', x)
from quickdraw_nb.inference import Predictor
p = Predictor.from_folder(out)
np.save(out/'expected.npy', p.probs(x).numpy())
print(p, p.predict(x))
