"""Does ccMIM learn on the demo set? 200 CPU steps, both loss terms, probes.

1. The demo ccMIM model (``configs/ccmim/ccmim_vit-tiny-p8_1xb32-200i_
   demo-in1k.py``: tiny ViT, importance-sampling division, InfoNCE through
   the projector, MAE decoder, lambda 0.2) is initialized with ``--seed``
   and saved, so that the training run and the "random init" rows below
   start from the very same weights.
2. ``tools/train.py`` trains it for 200 iterations (batch 32) from those
   weights, logging both terms every step.
3. Both models, the initial and the trained one, are evaluated on the same
   fixed batches of the val split (batches of 32, as in training) with the
   SAME random divisions (``--divisions`` draws) and with each model's own
   importance-sampling division: L_rec (Eq. 9) and L_NCE (Eq. 7, without
   lambda), plus the share of the summed [CLS] attention that the top
   quarter of the patches holds (0.25 = flat attention).
4. The ``classification`` benchmark probes the trained encoder against a
   random one (same seed, same data order): linear (LIN) and attentive
   (ATT) probing of the 8 demo classes.

Why step 3: in ccMIM the division itself learns. As the [CLS] attention
concentrates, importance sampling puts the informative patches into the
masked set and leaves the visible query the background: the contrastive
task of the training log gets harder while the model gets better at it.
The training log's L_NCE therefore is not a fair before/after comparison;
the same divisions for both models are.

Exit status 1 unless: both logged terms of the last 20 steps are below
those of the first 20, L_rec and L_NCE on the fixed random divisions are
lower for the trained model, and the trained encoder beats the random one
on the linear probe (``--skip-probe`` leaves the probes out). The
attentive probe is reported, not required: on the demo classes it
saturates (99-100 % from a random encoder too).

    python tools/misc/make_demo_data.py --out data/demo --size medium
    python tools/benchmark/pretrained_vs_random.py ccmim \\
        [--data-root data/demo/imagenet] [--seed 0] [--out results.json]
"""
import argparse
import os.path as osp
import time
from typing import Dict

from mmcae.runs.jobs import REPO_ROOT
from mmcae.runs.scalars import loss_windows, scalar_records
from . import pretraining

CONFIG = osp.join(REPO_ROOT, 'configs', 'ccmim',
                  'ccmim_vit-tiny-p8_1xb32-200i_demo-in1k.py')
#: steps of the logged-loss windows (first / last)
WINDOW = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The pretraining demos' options plus ``--divisions``."""
    pretraining.add_arguments(
        parser, CONFIG, osp.join('work_dirs', 'ccmim_demo'),
        ('linear', 'attentive'), 'val images for the fixed-division losses')
    parser.add_argument('--divisions', type=int, default=4,
                        help='random division draws per batch')


check_arguments = pretraining.check_arguments


def load_val_images(config: str, data_root: str, limit: int):
    """The first ``limit`` val images, resized to the training crop size
    (short side img / 0.875, center crop) and normalized by the model's
    data preprocessor.

    Returns:
        Tensor: the images, stacked as the config's collate_fn does.
    """
    from mmengine.dataset import default_collate
    from mmengine.registry import DATASETS, DefaultScope
    model, cfg = pretraining.build_model(config)
    img_size = cfg.model.backbone.img_size
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=int(round(img_size / 0.875)),
             edge='short', backend='pillow', interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=img_size),
        dict(type='PackInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(
            dict(type='ImageNet', data_root=data_root, split='val',
                 pipeline=pipeline))
    count = min(limit, len(dataset))
    batch = default_collate([dataset[i] for i in range(count)])
    inputs = model.data_preprocessor(batch)['inputs']
    return inputs[0] if isinstance(inputs, (list, tuple)) else inputs


def evaluate(model, images, divisions: int,
             batch_size: int = 32) -> Dict[str, float]:
    """L_rec and L_NCE on fixed random divisions and on the model's own
    importance-sampling divisions (the same generator seeds for every
    model), and the [CLS] attention's top-quarter share.

    Args:
        model (CcMIM): the model (put in train mode: the projector's
            BatchNorm normalizes by the batch, as in training).
        images (Tensor): normalized images (N, 3, H, W).
        divisions (int): random division draws per batch.
        batch_size (int): images per batch. Defaults to 32.

    Returns:
        dict: means over every batch and draw, rounded to 4 decimals.
    """
    import numpy as np
    import torch
    model.train()
    batch_size = min(batch_size, images.shape[0])
    strategy = model.divider.strategy
    sums = {key: [] for key in ('rec_random', 'nce_random', 'rec_own',
                                'nce_own', 'top_quarter_share')}
    with torch.no_grad():
        for draw in range(divisions):
            generator = torch.Generator().manual_seed(1000 + draw)
            for start in range(0, images.shape[0] - batch_size + 1,
                               batch_size):
                batch = images[start:start + batch_size]
                model.divider.strategy = 'random'
                mask, _ = model.divide(batch, generator=generator)
                losses = model.division_losses(batch, mask)
                sums['rec_random'].append(losses['loss_rec'].item())
                sums['nce_random'].append(losses['loss_align'].item() /
                                          model.align_weight)
                model.divider.strategy = strategy
                mask, importance = model.divide(batch, generator=generator)
                losses = model.division_losses(batch, mask)
                sums['rec_own'].append(losses['loss_rec'].item())
                sums['nce_own'].append(losses['loss_align'].item() /
                                       model.align_weight)
                share = importance / importance.sum(dim=1, keepdim=True)
                quarter = share.shape[1] // 4
                sums['top_quarter_share'].append(
                    share.sort(dim=1, descending=True).values[:, :quarter]
                    .sum(dim=1).mean().item())
    model.divider.strategy = strategy
    return {key: round(float(np.mean(values)), 4)
            for key, values in sums.items()}


def run(args: argparse.Namespace) -> int:
    """Pretrain, evaluate both models, probe, print, check."""
    started = time.perf_counter()
    init, work_dir, trained, seconds = pretraining.pretrain_from_saved_init(
        args)
    logged = loss_windows(scalar_records(work_dir), ('loss_rec',
                                                     'loss_align'),
                          WINDOW, source=work_dir)
    print(f'[pretrain] {logged["loss_rec"]["steps"]} steps in '
          f'{seconds:.0f} s: {trained}', flush=True)

    model, cfg = pretraining.build_model(args.config)
    images = load_val_images(args.config, args.data_root, args.eval_images)
    load = pretraining.load_weights
    fixed = {
        'init': evaluate(load(model, init), images, args.divisions),
        'trained': evaluate(load(model, trained), images, args.divisions),
    }
    probes = None if args.skip_probe else pretraining.run_probes(
        args, trained)

    lam = cfg.model.align_weight
    window = logged['loss_rec']['window']
    rows = [
        (f'logged L_rec (first / last {window} steps)',
         logged['loss_rec']['first'], logged['loss_rec']['last']),
        (f'logged L_NCE (first / last {window} steps)',
         round(logged['loss_align']['first'] / lam, 4),
         round(logged['loss_align']['last'] / lam, 4)),
    ]
    for key, name in (('rec_random', 'L_rec, fixed random divisions'),
                      ('nce_random', 'L_NCE, fixed random divisions'),
                      ('rec_own', "L_rec, the model's own division"),
                      ('nce_own', "L_NCE, the model's own division"),
                      ('top_quarter_share',
                       '[CLS] attention held by the top quarter')):
        rows.append((name, fixed['init'][key], fixed['trained'][key]))
    pretraining.print_table(rows, probes, 'ccMIM')

    checks = {
        'logged L_rec lower':
        logged['loss_rec']['last'] < logged['loss_rec']['first'],
        'logged L_NCE lower':
        logged['loss_align']['last'] < logged['loss_align']['first'],
        'fixed-division L_rec lower':
        fixed['trained']['rec_random'] < fixed['init']['rec_random'],
        'fixed-division L_NCE lower':
        fixed['trained']['nce_random'] < fixed['init']['nce_random'],
    }
    if probes and 'linear' in probes['protocols']:
        checks['linear probe: ccMIM > random'] = \
            probes['protocols']['linear']['gain'] > 0
    summary = dict(
        config=osp.relpath(args.config, REPO_ROOT), data_root=args.data_root,
        seed=args.seed, threads=args.threads,
        pretrain_seconds=round(seconds, 1), logged=logged,
        fixed_divisions=fixed, eval_images=int(images.shape[0]),
        divisions=args.divisions, probes=probes,
        minutes=round((time.perf_counter() - started) / 60, 1))
    return pretraining.finish(args, summary, checks)
