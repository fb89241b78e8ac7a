"""Time CAE pretraining steps: mmcae.CAE against mmpretrain's CAE.

Both models get the same architecture, batch, masks and precision, and the
same DALL-E tokenizer architecture with random weights (speed does not
depend on them): mmpretrain's ``DALL-E`` port for mmpretrain's CAE, mmcae's
``DALLEEncoder`` for ours (same logits: tests/test_models/test_tokenizers).
Each model is timed in its own process, so the peak memory is its own.
Prints img/s, peak memory and the speed ratio.

    python tools/benchmark/step_time.py cae-vs-mmpretrain --arch small \\
        --batch 8
    python tools/benchmark/step_time.py cae-vs-mmpretrain --arch base \\
        --batch 128 --device cuda --bf16
"""
import argparse
import json
from typing import Tuple

from . import step_time

#: arch -> (embed dims, depth, heads)
ARCHS = {
    'tiny': (192, 12, 3),
    'small': (384, 12, 6),
    'base': (768, 12, 12),
}
#: the rows, in the order they run and print
ROWS = ('mmpretrain', 'mmcae')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The comparison's options."""
    parser.add_argument('--arch', default='small', choices=sorted(ARCHS))
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--num-masked', type=int, default=75)
    parser.add_argument('--tokenizer-hid', type=int, default=256)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--bf16', action='store_true')
    parser.add_argument(
        '--only', choices=ROWS,
        help='time this model alone, in this process; print its JSON')
    parser.add_argument('--out', help='write the results as JSON here')


def check_arguments(args: argparse.Namespace) -> None:
    """Nothing to check beyond argparse's choices."""


def model_configs(arch: str, num_masked: int,
                  tokenizer_hid: int) -> Tuple[dict, dict]:
    """The model dicts of mmcae's and mmpretrain's CAE (same sizes)."""
    dims, depth, heads = ARCHS[arch]
    tokenizer = dict(n_hid=tokenizer_hid, vocab_size=8192)
    ours = dict(
        type='mmcae.CAE',
        backbone=dict(
            type='mmcae.ViT',
            arch=dict(embed_dims=dims, num_layers=depth, num_heads=heads,
                      mlp_hidden_dims=4 * dims),
            img_size=224, patch_size=16, qkv_bias='qv',
            layer_scale_init_value=0.1, pos_embed='sincos', out_type='raw',
            drop_path_rate=0.1),
        neck=dict(type='mmcae.CAENeck', embed_dims=dims, num_heads=heads,
                  regressor_depth=4, decoder_depth=4, out_channels=8192,
                  layer_scale_init_value=0.1),
        target_generator=dict(type='mmcae.DALLEEncoder', **tokenizer),
        target='tokens',
        align_weight=2.)
    theirs = dict(
        type='mmpretrain.CAE',
        backbone=dict(
            type='mmpretrain.CAEPretrainViT',
            arch=dict(embed_dims=dims, num_layers=depth, num_heads=heads,
                      feedforward_channels=4 * dims),
            img_size=224, patch_size=16, layer_scale_init_value=0.1,
            drop_path_rate=0.1),
        neck=dict(type='mmpretrain.CAENeck', embed_dims=dims,
                  num_heads=heads, regressor_depth=4, decoder_depth=4,
                  num_classes=8192, mask_tokens_num=num_masked,
                  layer_scale_init_value=0.1),
        head=dict(type='mmpretrain.CAEHead',
                  loss=dict(type='mmpretrain.CAELoss', lambd=2.)),
        target_generator=dict(type='mmpretrain.DALL-E', **tokenizer),
        base_momentum=0.0)
    return ours, theirs


def time_row(args: argparse.Namespace) -> dict:
    """Time the model ``args.only`` in this process.

    Returns:
        dict: model, images_per_second, seconds_per_step, peak_memory_mb.
    """
    import torch
    from mmpretrain.structures import DataSample
    ours, theirs = model_configs(args.arch, args.num_masked,
                                 args.tokenizer_hid)
    model = step_time.build_model(ours if args.only == 'mmcae' else theirs,
                                  args.device)
    device = torch.device(args.device)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    images = torch.randn(args.batch, 3, 224, 224, device=device)
    target_view = torch.rand(args.batch, 3, 112, 112, device=device)
    samples = []
    generator = torch.Generator().manual_seed(0)
    for _ in range(args.batch):
        mask = torch.zeros(196, dtype=torch.bool)
        mask[torch.randperm(196, generator=generator)[:args.num_masked]] = \
            True
        sample = DataSample()
        sample.set_mask(mask.reshape(14, 14).to(device))
        samples.append(sample)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16,
                            enabled=args.bf16):
            losses = model.loss([images, target_view], samples)
        step_time.optimizer_step(model, optimizer, losses)

    times, peak_mb = step_time.time_steps(step, args.device, args.warmup,
                                          args.steps)
    seconds = sum(times)
    return dict(
        model=args.only,
        images_per_second=args.batch * args.steps / seconds,
        seconds_per_step=seconds / args.steps,
        peak_memory_mb=peak_mb)


def run(args: argparse.Namespace) -> int:
    """Both models (or ``--only`` one); print the comparison. Returns 0."""
    if args.only:
        print(json.dumps(time_row(args)))
        return 0
    results = step_time.run_rows('step_time_cae', ROWS, args)
    ratio = results['mmcae']['images_per_second'] / results['mmpretrain'][
        'images_per_second']
    precision = 'bf16' if args.bf16 else 'fp32'
    print(f'CAE ViT-{args.arch}, batch {args.batch}, {args.device}, '
          f'{precision}, {args.num_masked} masked, {args.steps} timed steps')
    for name, result in results.items():
        print(f'  {name:<10} {result["images_per_second"]:8.2f} img/s  '
              f'{result["seconds_per_step"] * 1000:8.1f} ms/step  peak '
              f'{result["peak_memory_mb"]:8.0f} MiB')
    print(f'  speed ratio mmcae / mmpretrain: {ratio:.2f}x')
    if args.out:
        step_time.write_json(args.out, dict(
            results=results, ratio=ratio, args=step_time.public_args(args)))
    return 0
