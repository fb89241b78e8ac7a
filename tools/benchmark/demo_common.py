"""Helpers shared by the demo benchmarks of the pretraining algorithms
(``ccmim_demo.py``, ``unissl_demo.py``): build a config's model, save its
initial weights for ``load_from``, read the logged loss terms, run the
probes of ``eval_protocols_demo.py``."""
import argparse
import json
import os
import os.path as osp
from typing import Dict, Sequence

import numpy as np
import torch

from train_subprocess import scalar_records


def build_model(config: str):
    """The config's model (not initialized) and the config."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    import mmcae.models  # noqa: F401 (registers mmcae.*)
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model), cfg


def save_initial_weights(config: str, seed: int, path: str) -> None:
    """Initialize the model with ``seed`` and save it as a checkpoint that
    ``load_from`` reads."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    model, _ = build_model(config)
    model.init_weights()
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(seed=seed, config=osp.basename(config))), path)


def load_weights(model, path: str):
    """Load a checkpoint's state dict into ``model`` (strict)."""
    from mmcae.utils.checkpoint_compat import load_local_checkpoint
    state = load_local_checkpoint(path)
    model.load_state_dict(state.get('state_dict', state))
    return model


def log_windows(work_dir: str, keys: Sequence[str],
                window: int = 20) -> Dict[str, Dict[str, float]]:
    """Mean of each logged loss term over the first and last ``window``
    steps (a tenth of the steps for runs shorter than 10 windows)."""
    records = [r for r in scalar_records(work_dir) if keys[0] in r]
    if len(records) < 4:
        raise RuntimeError(f'{work_dir}: {len(records)} logged steps')
    window = min(window, max(2, len(records) // 10))
    out = {}
    for key in keys:
        values = [r[key] for r in records]
        out[key] = dict(first=round(float(np.mean(values[:window])), 4),
                        last=round(float(np.mean(values[-window:])), 4),
                        steps=len(values), window=window)
    return out


def run_probes(args: argparse.Namespace, checkpoint: str,
               cfg_options: Sequence[str] = ()) -> Dict:
    """``eval_protocols_demo.py`` on ``checkpoint`` vs a random encoder
    (``args``: data_root, protocols, probe_seeds, probe_epochs, threads,
    work_dir; ``shots`` if present), with ``cfg_options`` for every probe
    run."""
    import eval_protocols_demo
    out = osp.join(args.work_dir, 'probes.json')
    argv = [
        '--pretrained', checkpoint, '--data-root', args.data_root,
        '--protocols', *args.protocols, '--seeds',
        *[str(s) for s in args.probe_seeds], '--epochs',
        str(args.probe_epochs), '--threads', str(args.threads),
        '--work-dir', osp.join(args.work_dir, 'probes'), '--out', out
    ]
    if getattr(args, 'shots', 0):
        argv += ['--shots', str(args.shots)]
    if cfg_options:
        argv += ['--cfg-options', *cfg_options]
    status = eval_protocols_demo.main(argv)
    with open(out) as f:
        results = json.load(f)
    results['status'] = status
    return results
