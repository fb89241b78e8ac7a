"""Does a pretrained encoder help detection? A short CPU benchmark.

Trains the tiny Mask R-CNN of
``configs/cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py`` (ViT -> pyramid
neck -> FPN -> mmdet's Mask R-CNN heads, AdamW with layer-wise lr decay) on
the 'medium' demo COCO set twice, for the same number of iterations and with
the same seed: once from a pretrained encoder, once from a random one. Then
evaluates both on the demo val set with mmdet's CocoMetric and prints box
and mask APs, also written as JSON.

    python tools/misc/make_demo_data.py --out data/demo --size medium
    python tools/benchmark/pretrained_vs_random.py detection \\
        --pretrained CHECKPOINT [--data-root data/demo/coco] [--iters 600] \\
        [--out results.json]

e.g. CHECKPOINT = work_dirs/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k/
epoch_10.pth, the demo CAE pretraining.

``--pretrained`` takes any checkpoint mmcae's converter reads (a full CAE
pretraining checkpoint, a converted encoder, MAE / BEiT / mmpretrain
layouts). The encoder's width, depth, MLP size, patch size, bias layout and
layer scale are read from the checkpoint (heads: ``--num-heads``); the demo
config's are 64-d, 4 blocks, 4 heads, 8-px patches (the demo CAE
pretraining config). Both runs use the checkpoint's architecture.

Time: the two runs go side by side, one thread each (``--sequential
--threads 2`` runs them one after the other instead: on a shared CPU, two
OpenMP threads per process are several times slower than one). One
iteration (4 images, short side 192-256) took 1.4 s on one core of the
2-core development machine while other jobs ran; the default 600
iterations (2 400 images, 2 epochs of the 1 200) plus the evaluation of the
200 val images fit in about 20 minutes on 2 otherwise idle cores. Each run
prints its time.

Each run is ``tools/train.py`` on a generated config (in its work dir) in
its own subprocess: the numbers are those a user gets from the tools.
"""
import argparse
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional

from mmcae.runs.jobs import REPO_ROOT, TrainJob, add_job_arguments, run_all
from mmcae.runs.scalars import scalar_records, values
from mmcae.utils.errors import UserError

RANDOM_CONFIG = 'configs/cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py'
PRETRAINED_CONFIG = \
    'configs/cae/mask-rcnn_cae-demo-vit-tiny-p8_1xb4-12e_demo-coco.py'
#: the demo config's encoder (see RANDOM_CONFIG)
DEMO_ENCODER = dict(
    embed_dims=64, num_layers=4, num_heads=4, mlp_hidden_dims=256,
    patch_size=8)
#: iterations per run: both runs side by side, one core each, fit in
#: about 20 minutes on 2 idle cores (see the module docstring)
ITERS = 600
METRICS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'segm_mAP',
           'segm_mAP_50', 'segm_mAP_75')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument(
        '--pretrained', required=True,
        help='encoder checkpoint, any layout mmcae\'s converter reads')
    parser.add_argument(
        '--data-root', default='data/demo/coco',
        help='the demo COCO set (tools/misc/make_demo_data.py --size '
        'medium); default data/demo/coco')
    parser.add_argument(
        '--iters', type=int, default=ITERS,
        help=f'training iterations of each run (batch 4); default {ITERS}')
    parser.add_argument(
        '--num-heads', type=int, default=None,
        help='attention heads of the encoder (default: 4 for a 64-d '
        'encoder, else embed_dims / 64)')
    parser.add_argument('--seed', type=int, default=0)
    add_job_arguments(parser)
    parser.add_argument(
        '--work-dir', default='work_dirs/dense_det_demo',
        help='where the runs write; default work_dirs/dense_det_demo')
    parser.add_argument(
        '--out', default=None,
        help='results JSON (default: WORK_DIR/results.json)')
    parser.add_argument(
        '--only', choices=['pretrained', 'random'], default=None,
        help='run one variant only')


def check_arguments(args: argparse.Namespace) -> None:
    """Check the run length, the checkpoint and the data."""
    if args.iters < 12:
        raise UserError('--iters must be at least 12')
    if not osp.isfile(args.pretrained):
        raise UserError(f'checkpoint not found: {args.pretrained}')
    ann = osp.join(args.data_root, 'annotations', 'instances_train2017.json')
    if not osp.isfile(ann):
        raise UserError(f'no demo COCO set at {args.data_root} ({ann} is '
                        'missing); make one with python tools/misc/'
                        'make_demo_data.py --out DIR --size medium and pass '
                        '--data-root DIR/coco')


def encoder_of_checkpoint(path: str,
                          num_heads: Optional[int] = None) -> Dict[str, int]:
    """The ViT architecture a checkpoint holds.

    Args:
        path (str): a checkpoint in any layout mmcae's converter reads.
        num_heads (int, optional): attention heads (weights do not tell).
            None: what the file's format tells
            (:func:`mmcae.checkpoint.architecture_facts`: relative position
            tables, the official model's head count, e.g. 12 for a CAE or
            MoCo v3 ViT-S, or the converter's record), else the demo
            encoder's 4 for a 64-d encoder, else one head per 64 channels
            (the timm ViT-S/B/L convention).

    Returns:
        dict: embed_dims, num_layers, num_heads, mlp_hidden_dims,
        patch_size, and qkv_bias ('qv' for separate q/v biases, 'qkv' or
        None) and layer_scale (whether it has gamma_1 / gamma_2).
    """
    from mmcae.checkpoint import (architecture_facts, convert_vit_checkpoint,
                                  read_checkpoint)
    from mmcae.checkpoint.load import recorded_source_facts
    checkpoint = read_checkpoint(path)
    state_dict, fmt = convert_vit_checkpoint(checkpoint)
    proj = state_dict['patch_embed.proj.weight']
    embed_dims = proj.shape[0]
    blocks = {int(key.split('.')[1]) for key in state_dict
              if key.startswith('blocks.')}
    if num_heads is None:
        recorded = recorded_source_facts(checkpoint)
        num_heads = recorded.get('num_heads') or architecture_facts(
            state_dict, recorded.get('format', fmt)).get('num_heads')
    if num_heads is None:
        num_heads = DEMO_ENCODER['num_heads'] if \
            embed_dims == DEMO_ENCODER['embed_dims'] else embed_dims // 64
    if 'blocks.0.attn.q_bias' in state_dict:
        qkv_bias = 'qv'
    elif 'blocks.0.attn.qkv.bias' in state_dict:
        qkv_bias = 'qkv'
    else:
        qkv_bias = None
    return dict(
        embed_dims=embed_dims,
        num_layers=max(blocks) + 1,
        num_heads=num_heads,
        mlp_hidden_dims=state_dict['blocks.0.mlp.fc1.weight'].shape[0],
        patch_size=proj.shape[-1],
        qkv_bias=qkv_bias,
        layer_scale='blocks.0.gamma_1' in state_dict)


def pyramid_out_indices(num_layers: int) -> List[int]:
    """Four block outputs spread over the depth (3, 5, 7, 11 for 12 blocks
    as in the papers; every block for 4)."""
    if num_layers == 12:
        return [3, 5, 7, 11]
    return sorted({max(0, round(num_layers * k / 4) - 1)
                   for k in (1, 2, 3, 4)})


def derived_config(base: str, data_root: str, iters: int, seed: int,
                   encoder: Dict, checkpoint: Optional[str]) -> str:
    """The text of a config that runs ``base`` for ``iters`` iterations on
    ``data_root`` with ``encoder``'s architecture.

    Raises:
        UserError: the encoder is too shallow for four pyramid levels, or
            its patch size maps onto no stride set of the heads.
    """
    out_indices = pyramid_out_indices(encoder['num_layers'])
    if len(out_indices) != 4:
        raise UserError(f'an encoder of {encoder["num_layers"]} blocks is '
                        'too shallow for four pyramid levels')
    # stride 16 -> strides 4..32 as in the papers; stride 8 -> 2, 1, .5, .25
    scales = {16: (4, 2, 1, 0.5), 8: (2, 1, 0.5, 0.25)}.get(
        encoder['patch_size'])
    if scales is None:
        raise UserError(f'patch size {encoder["patch_size"]}: only 8 and 16 '
                        'map onto the strides 4-32 of the Mask R-CNN heads')
    arch = {k: encoder[k] for k in ('embed_dims', 'num_layers', 'num_heads',
                                    'mlp_hidden_dims')}
    backbone = dict(
        arch=dict(_delete_=True, **arch),
        patch_size=encoder['patch_size'],
        qkv_bias=encoder['qkv_bias'],
        layer_scale_init_value=0.1 if encoder['layer_scale'] else 0.,
        out_indices=out_indices)
    if checkpoint is not None:
        backbone['init_cfg'] = dict(checkpoint=osp.abspath(checkpoint))
    embed_dims = encoder['embed_dims']
    warmup = max(1, min(50, iters // 10))
    milestones = [round(iters * 9 / 12), round(iters * 11 / 12)]
    ann_file = osp.join(data_root, 'annotations', 'instances_val2017.json')
    return f"""# generated by mmcae.benchmark.detection
_base_ = [{osp.join(REPO_ROOT, base)!r}]

data_root = {data_root!r}
# data loading in the training process: one core per run
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file={ann_file!r})
test_evaluator = val_evaluator

model = dict(
    backbone={backbone!r},
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels={embed_dims},
             scales={scales!r}),
        dict(type='FPN', in_channels={[embed_dims] * 4!r}, out_channels=64,
             num_outs=5),
    ])

# the demo's 1x schedule in iterations: warmup, lr x0.1 at 9/12 and 11/12
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters={iters},
    val_interval={iters})
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end={warmup}),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end={iters},
         milestones={milestones!r}, gamma=0.1),
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval={iters}, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=20)
randomness = dict(seed={seed})
"""


class DetectionJob(TrainJob):
    """One variant: its generated config and its tools/train.py run;
    ``wait`` returns its metrics, losses and time."""

    def __init__(self, name: str, base: str, args: argparse.Namespace,
                 encoder: Dict, checkpoint: Optional[str]):
        work_dir = osp.join(args.work_dir, name)
        os.makedirs(work_dir, exist_ok=True)
        config = osp.join(work_dir, f'{name}.py')
        with open(config, 'w') as f:
            f.write(
                derived_config(base, osp.abspath(args.data_root) + '/',
                               args.iters, args.seed, encoder, checkpoint))
        super().__init__(name, config, work_dir, None, args.threads,
                         osp.join(work_dir, 'train.log'))

    def wait(self, timeout=None) -> Dict:
        seconds = super().wait(timeout)
        records = scalar_records(self.work_dir)
        evaluated = [r for r in records if 'coco/bbox_mAP' in r]
        if not evaluated:
            raise RuntimeError(f'[{self.name}] no CocoMetric result in '
                               f'{self.work_dir} (no detections at all?)')
        losses = values(records, 'loss')
        metrics = {key: evaluated[-1].get(f'coco/{key}') for key in METRICS}
        print(f'[{self.name}] box AP {metrics["bbox_mAP"]:.3f}, mask AP '
              f'{metrics["segm_mAP"]:.3f}, loss {losses[0]:.3f} -> '
              f'{losses[-1]:.3f}, {seconds / 60:.1f} min', flush=True)
        return dict(metrics=metrics, first_loss=losses[0],
                    final_loss=losses[-1], seconds=round(seconds, 1),
                    work_dir=self.work_dir)


def run(args: argparse.Namespace) -> int:
    """Both variants (or ``--only`` one); writes and prints the results.
    Returns 0."""
    encoder = encoder_of_checkpoint(args.pretrained, args.num_heads)
    print(f'encoder of {args.pretrained}: {encoder}', flush=True)
    variants = [('pretrained', PRETRAINED_CONFIG, args.pretrained),
                ('random', RANDOM_CONFIG, None)]
    if args.only:
        variants = [v for v in variants if v[0] == args.only]
    results = dict(
        pretrained_checkpoint=osp.abspath(args.pretrained),
        data_root=osp.abspath(args.data_root),
        iters=args.iters,
        batch_size=4,
        seed=args.seed,
        encoder=encoder,
        runs={})
    jobs = [DetectionJob(name, base, args, encoder, checkpoint)
            for name, base, checkpoint in variants]
    runs = results['runs']
    runs.update(run_all(jobs, args.sequential))
    if len(runs) == 2:
        results['gain'] = {
            key: round(runs['pretrained']['metrics'][key] -
                       runs['random']['metrics'][key], 4)
            for key in METRICS
            if all(math.isfinite(runs[n]['metrics'][key] or math.nan)
                   for n in runs)
        }
    out = args.out or osp.join(args.work_dir, 'results.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))
    print(f'results: {out}')
    return 0
