#!/usr/bin/env python
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

Each row runs in its own subprocess (the peak memory is its own): on CUDA
the peak of ``torch.cuda.max_memory_allocated`` over the timed steps; on
CPU the process's peak resident set (``ru_maxrss``, which includes the
~0.4 GB of the imported libraries; compare rows, not absolute numbers).

    python tools/benchmark/ccmim_vs_mae.py --arch base --batch 8
    python tools/benchmark/ccmim_vs_mae.py --arch base --batch 64 \\
        --device cuda --bf16 --out ccmim_vs_mae_h100.json
"""
import argparse
import json
import resource
import subprocess
import sys
import time

#: arch -> (img size, patch, embed dims, depth, heads, decoder dims,
#: decoder depth, decoder heads)
ARCHS = {
    'test': (32, 8, 32, 2, 2, 32, 1, 2),
    'small': (224, 16, 384, 12, 6, 512, 8, 16),
    'base': (224, 16, 768, 12, 12, 512, 8, 16),
}
ROWS = ('mae', 'ccmim', 'ccmim-random', 'ccmim-divide')


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


def run_row(args) -> dict:
    """Time one row in this process; returns its measurements."""
    import torch
    from mmengine.registry import MODELS, DefaultScope

    import mmcae.models  # noqa: F401  (registers mmcae.CcMIM)
    torch.manual_seed(0)
    cfg = model_configs(args.arch)[args.only]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    device = torch.device(args.device)
    model.to(device).train()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    size = ARCHS[args.arch][0]
    images = torch.randn(args.batch, 3, size, size, device=device)
    losses_seen = {}

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16,
                            enabled=args.bf16):
            if args.only == 'ccmim-divide':
                model.divide(images)
                return
            losses = model.loss([images] if args.only != 'mae' else images,
                                [])
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses_seen.update({k: float(v) for k, v in losses.items()})

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.iters):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    if device.type == 'cuda':
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:  # peak resident memory of this process (Linux: KiB)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times.sort()
    return dict(
        row=args.only,
        median_ms=1000 * times[len(times) // 2],
        mean_ms=1000 * sum(times) / len(times),
        images_per_second=args.batch * len(times) / sum(times),
        peak_memory_mb=peak_mb,
        encoder_parameters=encoder_parameters(model),
        losses=losses_seen)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='base', choices=sorted(ARCHS))
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default=None,
                        help='cuda if available, else cpu')
    parser.add_argument('--bf16', action='store_true')
    parser.add_argument('--rows', nargs='+', choices=ROWS, default=ROWS)
    parser.add_argument('--only', choices=ROWS, help=argparse.SUPPRESS)
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args(argv)
    if args.device is None:
        import torch
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.only:
        print(json.dumps(run_row(args)))
        return 0
    results = {}
    for row in args.rows:
        command = [
            sys.executable, __file__, '--only', row, '--arch', args.arch,
            '--batch', str(args.batch), '--iters', str(args.iters),
            '--warmup', str(args.warmup), '--device', args.device
        ] + (['--bf16'] if args.bf16 else [])
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        results[row] = json.loads(done.stdout.strip().splitlines()[-1])
    precision = 'bf16' if args.bf16 else 'fp32'
    print(f'ViT-{args.arch}, batch {args.batch}, {args.device}, '
          f'{precision}, {args.iters} timed steps after {args.warmup}')
    print('| row | median ms/step | img/s | peak memory MiB | vs MAE |')
    print('|---|---|---|---|---|')
    base = results.get('mae')
    for row, result in results.items():
        ratio = (f'{result["median_ms"] / base["median_ms"]:.2f}x'
                 if base else '-')
        print(f'| {row} | {result["median_ms"]:.1f} | '
              f'{result["images_per_second"]:.2f} | '
              f'{result["peak_memory_mb"]:.0f} | {ratio} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(results=results, args=vars(args)), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
