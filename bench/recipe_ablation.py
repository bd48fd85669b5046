"""One training run of the recipes tutorial's ablation (nbs/tutorials/recipes.ipynb), results in $OUT/NAME.json
(default OUT=scratch/results): top-1/top-3/MAP@3 without TTA, with flip TTA and with flip + 1 px shift TTA, fit time, images/s.

    NT=1 .venv/bin/python bench/recipe_ablation.py bitmaps a3_aug_ls_ema epochs=5 ls=0.1 ema=0.998
    NT=1 .venv/bin/python bench/recipe_ablation.py strokes b1_ls_ema epochs=15 ls=0.1 ema=0.995

Same split as the library (stratified 80/20, seed 42). The tutorial's runs used this code with the model and callbacks
in a draft module identical to quickdraw_nb.models / quickdraw_nb.recipes (SketchNet, WeightEMA, AutocastBF16).
"""
import sys, json, time, os
from functools import partial
import torch
torch.set_num_threads(int(os.environ.get('NT', 1)))
from fastai.learner import Learner
from fastai.callback.core import Callback
from fastai.callback.schedule import *  # fit_one_cycle
from fastai.callback.channelslast import ChannelsLast
from fastai.optimizer import Adam
from fastai.torch_core import set_seed
from quickdraw_nb.models import SketchNet
from quickdraw_nb.tta import tta_average
from quickdraw_nb.recipes import WeightEMA, AutocastBF16, recipe_loss, mixing_callbacks
from quickdraw_nb.learner import Throughput
from quickdraw_nb.metrics import classification_metrics, metric_values

COMMON = dict(widths='32,64,128', depths='2,2,2', block='vgg', drop=0.2, pool='avgmax', lr=3e-3, wd=0.05, ls=0.0, ema=0.0,
              mixup=0.0, cutmix=0.0, aug=1, seed=42, bf16=1, cl=1)
DEFAULTS = dict(bitmaps=dict(COMMON, epochs=8, bs=128, rot=10., zmin=0.9, zmax=1.1, flip=1, p_affine=0.75, size=0),
                strokes=dict(COMMON, epochs=30, bs=64, size=32, channels='ink,order,time', rot=15., smin=0.8, smax=1.05, stretch=0.15,
                             shear=0.15, shift=16., pflip=0.5, pdrop=0.1, jitter=1.0))

def dataloaders(kind, P):
    if kind == 'bitmaps':
        from quickdraw_nb.bitmaps import load_bitmaps
        from quickdraw_nb.datablock import bitmap_dataloaders
        bm = load_bitmaps('../shared/data/quickdraw/bitmap', seed=42)
        aug = dict(max_rotate=P['rot'], min_zoom=P['zmin'], max_zoom=P['zmax'], do_flip=bool(P['flip']), p_affine=P['p_affine']) if P['aug'] else False
        return bitmap_dataloaders(bm, bs=P['bs'], seed=42, size=P['size'] or None, aug=aug), 1
    from quickdraw_nb.strokeblock import load_strokes, stroke_dataloaders, AugmentStrokes
    strokes = load_strokes('../shared/data/quickdraw/strokes/simplified')
    aug = AugmentStrokes(P['rot'], P['smin'], P['smax'], P['stretch'], P['shear'], P['shift'], P['pflip'], P['pdrop'], P['jitter']) if P['aug'] else False
    ch = tuple(P['channels'].split(','))
    return stroke_dataloaders(strokes, bs=P['bs'], size=P['size'], channels=ch, aug=aug, valid_pct=0.2, seed=42), len(ch)

def main(kind, name, *kv):
    P = dict(DEFAULTS[kind])
    P.update({k: type(P[k])(v) for k, v in (a.split('=') for a in kv)})
    set_seed(P['seed'])
    dls, n_in = dataloaders(kind, P)
    model = SketchNet(dls.c, n_in, widths=tuple(map(int, P['widths'].split(','))), depths=tuple(map(int, P['depths'].split(','))),
                      block=P['block'], drop_rate=P['drop'], pool=P['pool'])
    learn = Learner(dls, model, loss_func=recipe_loss(P['ls']), metrics=classification_metrics(dls.c), opt_func=partial(Adam, decouple_wd=True), wd=P['wd'])
    learn.remove_cb(learn.progress)
    if P['bf16']: learn.add_cb(AutocastBF16())
    if P['cl']: learn.add_cb(ChannelsLast())
    tp, hist = Throughput(), []
    class Log(Callback):
        order = 90
        def after_epoch(self): hist.append([round(float(v), 4) for v in self.recorder.log[:-1]]); print(name, hist[-1], flush=True)
    cbs = [tp, Log(), *mixing_callbacks(P['mixup'], P['cutmix'])] + ([WeightEMA(P['ema'])] if P['ema'] else [])
    t0 = time.perf_counter()
    learn.fit_one_cycle(P['epochs'], P['lr'], cbs=cbs, pct_start=0.25)
    fit_s = time.perf_counter() - t0
    model.eval()
    res = {}
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bool(P['bf16'])):
        for key, flip, shift in [('no_tta', False, 0), ('flip_tta', True, 0), ('flipshift_tta', True, 1)]:
            probs, targs = zip(*[(tta_average(model, xb, flip, shift), yb) for xb, yb in dls.valid])
            res[key] = {k: round(float(v), 4) for k, v in metric_values(torch.cat(probs), torch.cat(targs)).items()}
    out = os.environ.get('OUT', 'scratch/results'); os.makedirs(out, exist_ok=True)
    res = dict(name=name, kind=kind, params=P, n_params=sum(p.numel() for p in model.parameters()), fit_s=round(fit_s, 1),
               img_s=round(tp.items_per_s, 1), **res['no_tta'], flip_tta=res['flip_tta'], flipshift_tta=res['flipshift_tta'], hist=hist)
    json.dump(res, open(f'{out}/{name}.json', 'w'), indent=1)
    print('RESULT', json.dumps({k: res[k] for k in ('name', 'top1', 'top3', 'map3', 'fit_s', 'img_s')}), res['flip_tta'], flush=True)

if __name__ == '__main__': main(*sys.argv[1:])
