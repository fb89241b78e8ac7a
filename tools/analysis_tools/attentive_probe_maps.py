#!/usr/bin/env python
"""The attentive probe's cross-attention maps: CAE arXiv Fig. 7, IJCV 10.

    python tools/analysis_tools/attentive_probe_maps.py \\
        --model CONFIG CHECKPOINT LABEL [--model ...] \\
        --img-dir DIR [DIR ...] [--num-images 8] [--img-size N] \\
        [--num-crops 0] [--mass 0.5] [--num-show 8] [--seed 0] \\
        [--out-dir work_dirs/attentive_probe_maps]

CONFIG is an attentive-probe config (configs/cae/benchmarks/
*attentive-probe*.py: an ImageClassifier with an mmcae.AttentiveProbeHead)
and CHECKPOINT the checkpoint of the trained probe (the whole classifier,
as tools/train.py saves it; read safely, every backbone. and head. key
must fit), or the word ``random`` for the config's random initialization.

Map: the head-averaged cross-attention of the probe's learned query over
the encoder's patch tokens, renormalized to sum to 1 (its weight on the
encoder's [CLS] token, a key by default, is recorded as prefix_mass).
Views (``--img-size`` defaults to the config's backbone img_size), the
``--mass`` region with its tie rule, the centre distance, the figures and
the JSON are those of cls_attention_maps.py; see
:mod:`mmcae.analysis.attentive_probe_maps`.

Output in ``--out-dir``: ``attentive_probe_maps.png`` (and
``attentive_probe_maps_crops.png`` with ``--num-crops``) and
``attentive_probe_maps.json``.
"""
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import (attention_map_options, attentive_probe_parser,
                                model_specs, parse_attention_map_args)
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save; return the record (the JSON's content)."""
    args = parse_attention_map_args(attentive_probe_parser(__doc__), argv)
    from mmcae.analysis import run_attentive_probe_maps, summary_lines
    record = run_attentive_probe_maps(
        [(source, checkpoint, label)
         for _, source, checkpoint, label in model_specs(args)],
        **attention_map_options(args))
    print('\n'.join(summary_lines(record)))
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
