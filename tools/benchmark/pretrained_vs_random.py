#!/usr/bin/env python
"""Pretrained vs random encoder on the demo data, one benchmark per command.

Every benchmark trains the same configs from a pretrained and from a
random encoder (same seed, same data order), each run ``tools/train.py``
in its own subprocess, and prints / writes the results as JSON:

    python tools/misc/make_demo_data.py --out data/demo --size medium
    # linear probe, attentive probe, fine-tuning (demo ImageNet)
    python tools/benchmark/pretrained_vs_random.py classification \\
        [--pretrained CHECKPOINT] --data-root data/demo/imagenet
    # UperNet (demo ADE20K), Mask R-CNN (demo COCO)
    python tools/benchmark/pretrained_vs_random.py segmentation \\
        --pretrained CHECKPOINT --data-root data/demo/ade20k
    python tools/benchmark/pretrained_vs_random.py detection \\
        --pretrained CHECKPOINT --data-root data/demo/coco
    # a short ccMIM / Uni-SSL pretraining from saved initial weights, its
    # loss terms before / after on fixed inputs, then the probes
    python tools/benchmark/pretrained_vs_random.py ccmim \\
        --data-root data/demo/imagenet
    python tools/benchmark/pretrained_vs_random.py unissl \\
        --data-root data/demo/imagenet

``COMMAND --help`` describes each benchmark (mmcae/benchmark/COMMAND.py)
and its exit status.
"""
import sys

from mmcae.benchmark import (ccmim, classification, cli, detection,
                             segmentation, unissl)

COMMANDS = dict(
    classification=classification,
    segmentation=segmentation,
    detection=detection,
    ccmim=ccmim,
    unissl=unissl)

if __name__ == '__main__':
    sys.exit(cli.main('pretrained_vs_random.py', __doc__, COMMANDS))
