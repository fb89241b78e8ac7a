"""Does Uni-SSL learn on the demo set? 200 CPU steps, both terms, a probe.

1. The demo Uni-SSL model (``configs/unissl/unissl_vit-tiny-p8_1xb32-200i_
   demo-in1k.py``: tiny ViT, 5 x 5 shared points, DINO head and loss, EMA
   teacher, 40-px pixel windows) is initialized with ``--seed`` (teacher =
   student) and saved, so that the training run and the "random init" rows
   below start from the very same weights.
2. ``tools/train.py`` trains it for 200 iterations (batch 32) from those
   weights, logging both terms every step.
3. Both models, the initial and the trained one, are evaluated on the SAME
   fixed view pairs of the val split (drawn once by the training pipeline
   with a fixed seed; the DINO center is not moved): L_sim (Eq. 9) and
   L_pixel (Eq. 10), and L_sim with the teacher's points taken from
   ANOTHER image of the batch ("mismatched"): a model that learned local
   correspondence rather than a constant output scores the matched pairs
   lower than the mismatched ones.
4. The ``classification`` benchmark probes the trained encoder (the
   student) against a random one (same seed, same data order): a linear
   probe of the 8 demo classes on the globally pooled patch tokens (the
   features Uni-SSL trains and the paper evaluates; its [CLS] token is
   never a training output), ``--protocols`` adds the attentive probe,
   ``--shots K`` trains the probes on K images per class.

Exit status 1 unless: the logged total loss (L_sim + L_pixel) and L_pixel
of the last 20 steps are below those of the first 20, the fixed-pair
L_pixel is lower for the trained model, its matched pairs score lower
than its mismatched ones, and the trained encoder beats the random one on
the linear probe (``--skip-probe`` leaves the probe out). The logged L_sim
alone is reported, not required: at the start the teacher equals the
student and the center is 0, so L_sim starts near the entropy of the
student's own output and rises while the teacher sharpens.

    python tools/misc/make_demo_data.py --out data/demo --size medium
    python tools/benchmark/pretrained_vs_random.py unissl \\
        [--data-root data/demo/imagenet] [--seed 0] [--out results.json]
"""
import argparse
import os.path as osp
import time
from typing import Dict, List, Tuple

from mmcae.runs.jobs import REPO_ROOT
from mmcae.runs.scalars import loss_windows, scalar_records
from . import pretraining

CONFIG = osp.join(REPO_ROOT, 'configs', 'unissl',
                  'unissl_vit-tiny-p8_1xb32-200i_demo-in1k.py')
#: steps of the logged-loss windows (first / last)
WINDOW = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The pretraining demos' options plus ``--shots``."""
    pretraining.add_arguments(
        parser, CONFIG, osp.join('work_dirs', 'unissl_demo'), ('linear', ),
        'val images for the fixed-pair losses')
    parser.add_argument('--shots', type=int, default=0,
                        help='probe on K training images per class (0: all)')


check_arguments = pretraining.check_arguments


def load_val_pairs(config: str, data_root: str, limit: int,
                   seed: int) -> Tuple[List, list]:
    """View pairs of the first ``limit`` val images through the training
    pipeline (fixed seed), normalized by the model's preprocessor.

    Returns:
        tuple: the two views (list of tensors) and the data samples (their
        crop boxes).
    """
    import numpy as np
    from mmengine.dataset import default_collate
    from mmengine.registry import DATASETS, DefaultScope
    from mmengine.config import Config
    np.random.seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(
            dict(type='ImageNet', data_root=data_root, split='val',
                 pipeline=Config.fromfile(config).train_pipeline))
    # built between the seeding and the drawing of the views, so that the
    # views depend on the seed alone (any random draw of the model's
    # construction is the same for every run)
    model, _ = pretraining.build_model(config)
    count = min(limit, len(dataset))
    batch = default_collate([dataset[i] for i in range(count)])
    data = model.data_preprocessor(batch)
    return data['inputs'], data['data_samples']


def evaluate(model, views: List, samples: list,
             batch_size: int = 32) -> Dict[str, float]:
    """L_sim, L_pixel (without its weight) and the mismatched-pair L_sim
    on fixed view pairs, the DINO center left unchanged.

    Returns:
        dict: ``sim``, ``pixel``, ``sim_mismatched``: means over the
        batches, rounded to 4 decimals.
    """
    import numpy as np
    import torch
    model.eval()
    batch_size = min(batch_size, views[0].shape[0])
    sums = {key: [] for key in ('sim', 'pixel', 'sim_mismatched')}
    with torch.no_grad():
        for start in range(0, views[0].shape[0] - batch_size + 1,
                           batch_size):
            part = [v[start:start + batch_size] for v in views]
            grids = model.sampling_grids(samples[start:start + batch_size],
                                         part[0].device)
            losses = model.pair_losses(part, grids, update_center=False)
            sums['sim'].append(losses['loss_sim'].item())
            sums['pixel'].append(losses['loss_pixel'].item() /
                                 model.pixel_weight)
            # the teacher's view and points of the next image
            rolled = [part[0], part[1].roll(1, dims=0)]
            grids = torch.stack([grids[:, 0], grids[:, 1].roll(1, dims=0)],
                                1)
            mismatched = model.pair_losses(rolled, grids,
                                           update_center=False)
            sums['sim_mismatched'].append(mismatched['loss_sim'].item())
    return {key: round(float(np.mean(values)), 4)
            for key, values in sums.items()}


def run(args: argparse.Namespace) -> int:
    """Pretrain, evaluate both models, probe, print, check."""
    started = time.perf_counter()
    init, work_dir, trained, seconds = pretraining.pretrain_from_saved_init(
        args)
    logged = loss_windows(scalar_records(work_dir),
                          ('loss', 'loss_sim', 'loss_pixel'), WINDOW,
                          source=work_dir)
    print(f'[pretrain] {logged["loss"]["steps"]} steps in {seconds:.0f} s: '
          f'{trained}', flush=True)

    model, cfg = pretraining.build_model(args.config)
    views, samples = load_val_pairs(args.config, args.data_root,
                                    args.eval_images, args.seed)
    load = pretraining.load_weights
    fixed = {
        'init': evaluate(load(model, init), views, samples),
        'trained': evaluate(load(model, trained), views, samples),
    }
    probes = None if args.skip_probe else pretraining.run_probes(
        args, trained, ['model.backbone.out_type=avg_featmap'])

    window = logged['loss']['window']
    rows = [(f'logged {name} (first / last {window} steps)',
             logged[key]['first'], logged[key]['last'])
            for key, name in (('loss', 'L_sim + L_pixel'),
                              ('loss_sim', 'L_sim'),
                              ('loss_pixel', 'L_pixel'))]
    for key, name in (('sim', 'L_sim, fixed pairs'),
                      ('sim_mismatched', 'L_sim, mismatched pairs'),
                      ('pixel', 'L_pixel, fixed pairs')):
        rows.append((name, fixed['init'][key], fixed['trained'][key]))
    pretraining.print_table(rows, probes, 'Uni-SSL')

    trained_fixed = fixed['trained']
    checks = {
        'logged loss lower': logged['loss']['last'] < logged['loss']['first'],
        'logged L_pixel lower':
        logged['loss_pixel']['last'] < logged['loss_pixel']['first'],
        'fixed-pair L_pixel lower':
        trained_fixed['pixel'] < fixed['init']['pixel'],
        'matched pairs below mismatched':
        trained_fixed['sim'] < trained_fixed['sim_mismatched'],
    }
    if probes and 'linear' in probes['protocols']:
        checks['linear probe: Uni-SSL > random'] = \
            probes['protocols']['linear']['gain'] > 0
    summary = dict(
        config=osp.relpath(args.config, REPO_ROOT), data_root=args.data_root,
        seed=args.seed, threads=args.threads,
        pretrain_seconds=round(seconds, 1), logged=logged, fixed_pairs=fixed,
        eval_images=int(views[0].shape[0]), probes=probes,
        minutes=round((time.perf_counter() - started) / 60, 1))
    return pretraining.finish(args, summary, checks)
