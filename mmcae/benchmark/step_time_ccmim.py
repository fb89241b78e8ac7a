"""Time ccMIM pretraining steps against mmpretrain's MAE at equal batch.

ccMIM (mmcae.CcMIM) and MAE (mmpretrain's MAE) get the same encoder size
(ViT-S/B at 224 px, or a tiny test size), the same decoder (512-d, 8
blocks, 16 heads: ccMIM's official decoder is MAE's), 75 % masking, the
same batch, AdamW and precision. Rows:

- ``mae``: mmpretrain's MAE;
- ``ccmim``: the default ccMIM (a no-grad full-image pass for the
  attention, the visible pass with gradient, the masked pass under
  no_grad, projector + InfoNCE, MAE's decoder);
- ``ccmim-random``: ccMIM with random division (no attention pass), which
  separates the cost of the importance pass from that of the contrastive
  branch;
- ``ccmim-divide``: the importance pass alone (``CcMIM.divide`` under
  no_grad), per step.

Each row runs in its own process (the peak memory is its own; see
:mod:`mmcae.benchmark.step_time`). Prints a markdown table: median
ms/step, img/s, peak memory and the median step time relative to MAE's.

    python tools/benchmark/step_time.py ccmim-vs-mae --arch base --batch 8
    python tools/benchmark/step_time.py ccmim-vs-mae --arch base \\
        --batch 64 --device cuda --bf16 --out ccmim_vs_mae_h100.json
"""
import argparse
import json

from mmcae.runs.tables import markdown_table
from . import step_time

#: arch -> (img size, patch, embed dims, depth, heads, decoder dims,
#: decoder depth, decoder heads)
ARCHS = {
    'test': (32, 8, 32, 2, 2, 32, 1, 2),
    'small': (224, 16, 384, 12, 6, 512, 8, 16),
    'base': (224, 16, 768, 12, 12, 512, 8, 16),
}
ROWS = ('mae', 'ccmim', 'ccmim-random', 'ccmim-divide')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The comparison's options."""
    parser.add_argument('--arch', default='base', choices=sorted(ARCHS))
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default=None,
                        help='cuda if available, else cpu')
    parser.add_argument('--bf16', action='store_true')
    parser.add_argument('--rows', nargs='+', choices=ROWS, default=ROWS)
    parser.add_argument(
        '--only', choices=ROWS,
        help='time this row alone, in this process; print its JSON')
    parser.add_argument('--out', help='write the results as JSON here')


def check_arguments(args: argparse.Namespace) -> None:
    """Pick the device: CUDA when available, else the CPU."""
    if args.device is None:
        import torch
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'


def model_configs(arch: str) -> dict:
    """The model dicts of every row (same encoder and decoder sizes)."""
    size, patch, dims, depth, heads, dec_dims, dec_depth, dec_heads = \
        ARCHS[arch]
    grid = size // patch
    decoder = dict(type='mmpretrain.MAEPretrainDecoder',
                   num_patches=grid * grid, patch_size=patch, in_chans=3,
                   embed_dim=dims, decoder_embed_dim=dec_dims,
                   decoder_depth=dec_depth, decoder_num_heads=dec_heads,
                   mlp_ratio=4)
    head = dict(type='mmpretrain.MAEPretrainHead', norm_pix=True,
                patch_size=patch,
                loss=dict(type='mmpretrain.PixelReconstructionLoss',
                          criterion='L2'))
    mae = dict(
        type='mmpretrain.MAE',
        backbone=dict(type='mmpretrain.MAEViT',
                      arch=dict(embed_dims=dims, num_layers=depth,
                                num_heads=heads,
                                feedforward_channels=4 * dims),
                      img_size=size, patch_size=patch, mask_ratio=0.75),
        neck=decoder, head=head)
    ccmim = dict(
        type='mmcae.CcMIM',
        backbone=dict(type='mmcae.ViT',
                      arch=dict(embed_dims=dims, num_layers=depth,
                                num_heads=heads, mlp_hidden_dims=4 * dims),
                      img_size=size, patch_size=patch, qkv_bias='qkv',
                      pos_embed='sincos', out_type='raw'),
        neck=decoder, head=head,
        projector=dict(type='mmpretrain.NonLinearNeck', in_channels=dims,
                       hid_channels=dims, out_channels=256,
                       with_avg_pool=False, with_last_bn_affine=False,
                       norm_cfg=dict(type='BN1d')),
        align_head=dict(type='mmcae.InfoNCEHead', temperature=0.5),
        align_weight=0.2, mask_ratio=0.75)
    random = dict(ccmim, mask_strategy='random')
    return {'mae': mae, 'ccmim': ccmim, 'ccmim-random': random,
            'ccmim-divide': ccmim}


def encoder_parameters(model) -> int:
    """Parameters of the encoder (the backbone)."""
    return sum(p.numel() for p in model.backbone.parameters())


def time_row(args: argparse.Namespace) -> dict:
    """Time the row ``args.only`` in this process.

    Returns:
        dict: row, median_ms, mean_ms, images_per_second, peak_memory_mb,
        encoder_parameters, losses (the last step's terms).
    """
    import torch
    model = step_time.build_model(model_configs(args.arch)[args.only],
                                  args.device)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    size = ARCHS[args.arch][0]
    images = torch.randn(args.batch, 3, size, size, device=args.device)
    losses_seen = {}

    def step():
        with torch.autocast(torch.device(args.device).type,
                            dtype=torch.bfloat16, enabled=args.bf16):
            if args.only == 'ccmim-divide':
                model.divide(images)
                return
            losses = model.loss([images] if args.only != 'mae' else images,
                                [])
        step_time.optimizer_step(model, optimizer, losses)
        losses_seen.update({k: float(v) for k, v in losses.items()})

    times, peak_mb = step_time.time_steps(step, args.device, args.warmup,
                                          args.iters)
    times.sort()
    return dict(
        row=args.only,
        median_ms=1000 * times[len(times) // 2],
        mean_ms=1000 * sum(times) / len(times),
        images_per_second=args.batch * len(times) / sum(times),
        peak_memory_mb=peak_mb,
        encoder_parameters=encoder_parameters(model),
        losses=losses_seen)


def run(args: argparse.Namespace) -> int:
    """Every row of ``--rows`` (or ``--only`` one); print the table.
    Returns 0."""
    if args.only:
        print(json.dumps(time_row(args)))
        return 0
    results = step_time.run_rows('step_time_ccmim', args.rows, args)
    precision = 'bf16' if args.bf16 else 'fp32'
    print(f'ViT-{args.arch}, batch {args.batch}, {args.device}, '
          f'{precision}, {args.iters} timed steps after {args.warmup}')
    base = results.get('mae')
    cells = [(row, f'{result["median_ms"]:.1f}',
              f'{result["images_per_second"]:.2f}',
              f'{result["peak_memory_mb"]:.0f}',
              f'{result["median_ms"] / base["median_ms"]:.2f}x'
              if base else '-') for row, result in results.items()]
    print(markdown_table(('row', 'median ms/step', 'img/s',
                          'peak memory MiB', 'vs MAE'), cells))
    if args.out:
        step_time.write_json(
            args.out, dict(results=results,
                           args=step_time.public_args(args)))
    return 0
