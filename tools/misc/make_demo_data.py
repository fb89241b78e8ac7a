#!/usr/bin/env python
"""Generate the demo datasets (ImageNet, ADE20K and COCO layouts).

    python tools/misc/make_demo_data.py [--out data/demo] [--seed 0]
        [--size small|medium] [--sets imagenet scenes] [--skip-complete]

``--sets`` writes only some sets (the quickstart writes the two in
parallel processes: each image has its own seed, the bytes are the same);
``--skip-complete`` leaves a set alone when ``--out`` already holds all of
it for this seed and size (a stamp file is written after its last image).

See mmcae/datasets/demo/generate.py for the layout and the categories.
"""
import argparse
import sys

from mmcae.datasets.demo import (DEMO_SETS, SIZES, demo_set_complete,
                                 make_demo_data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--out', default='data/demo')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', default='small', choices=sorted(SIZES))
    parser.add_argument(
        '--sets', nargs='+', choices=DEMO_SETS, default=list(DEMO_SETS),
        help='which sets to write (scenes: ADE20K and COCO)')
    parser.add_argument(
        '--skip-complete', action='store_true',
        help='skip a set that is already complete in --out')
    args = parser.parse_args(argv)
    sets = [
        s for s in args.sets if not (args.skip_complete and demo_set_complete(
            args.out, s, args.seed, args.size))
    ]
    if not sets:
        print(f'{args.out}: {", ".join(args.sets)} already complete '
              f'({args.size}, seed {args.seed})')
        return 0
    report = make_demo_data(args.out, args.seed, args.size, sets)
    print(f'{args.out}: {report["imagenet_images"]} classification images, '
          f'{report["scenes"]} scenes (ADE20K + COCO) in '
          f'{report["seconds"]} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
