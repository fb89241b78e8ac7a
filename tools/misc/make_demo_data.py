#!/usr/bin/env python
"""Generate the demo datasets (ImageNet, ADE20K and COCO layouts).

    python tools/misc/make_demo_data.py [--out data/demo] [--seed 0]
        [--size small|medium]

See mmcae/datasets/demo/generate.py for the layout and the categories.
"""
import argparse
import sys

from mmcae.datasets.demo import SIZES, make_demo_data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--out', default='data/demo')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', default='small', choices=sorted(SIZES))
    args = parser.parse_args(argv)
    report = make_demo_data(args.out, args.seed, args.size)
    print(f'{args.out}: {report["imagenet_images"]} classification images, '
          f'{report["scenes"]} scenes (ADE20K + COCO) in '
          f'{report["seconds"]} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
