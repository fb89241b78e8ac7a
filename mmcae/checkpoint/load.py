"""Load any supported ViT checkpoint into a :class:`mmcae.models.ViT`.

mmengine's ``Pretrained`` init loads with ``strict=False`` and only logs
what did not match, so a backbone that silently kept its random weights
(wrong file, wrong layout, wrong size) trains on; the first sign is a poor
number days later. :func:`load_vit_pretrained` converts the file from
whatever layout it has, then reports missing keys, unexpected keys and
shape mismatches in ONE message, and raises when the encoder itself
(patch embedding, blocks) was not fully loaded.

Weights of every shape fit a model with another head count, and a model
without a distilled DeiT's [DIST] token; both load "all keys matched" and
give other features. So before loading, the architecture facts of the
source (:func:`~mmcae.checkpoint.convert.architecture_facts`: the head
count of the format's official model or of the relative position tables,
[DIST]) are checked against the model. A file written by
``tools/model_converters/convert_checkpoint.py`` carries the facts of its
original in ``meta['source']``, so converting once does not lose them.

Fine-tuning start (``norm_to_fc_norm=True``): official CAE fine-tuning
loads the pretrained encoder's final ``norm.*`` into the pooled-feature
norm ``fc_norm.*`` (Atten4Vis/CAE tools/run_class_finetuning.py, lines
346-350 at a7fd162, "replace norm with fc_norm"). Without the option the
file's ``norm.*`` is reported unexpected and ``fc_norm`` keeps its identity
init, as MAE's fine-tuning (and BEiT's run_class_finetuning.py, which does
not rename it) start.
"""
import os
import os.path as osp
from typing import Any, Dict, List, Optional

import torch
from mmengine.logging import print_log
from torch import nn

from .convert import (architecture_facts, convert_vit_checkpoint,
                      remove_dist_token)
from .errors import CheckpointFormatError, CheckpointNotFoundError
from .formats import FORMATS
from .weights import diff_state_dict, read_checkpoint

#: keys that must come from the checkpoint (else the encoder is random)
_ESSENTIAL = ('patch_embed.', 'blocks.')
#: tables the ViT resizes to its own grid while loading
_RESIZED = ('pos_embed', 'relative_position_bias.table')
#: encoder keys a checkpoint may lack: fine-tuning recipes add relative
#: position tables (zero-initialized, BEiT App. C) to encoders pretrained
#: without them (CAE, MAE), as BEiT's and CAE's segmentation code does
_OPTIONAL = ('relative_position_bias.table', )
#: the facts a converted file's ``meta['source']`` may hold, all of which
#: override what its (converted) keys say: they describe the original
FACT_KEYS = ('format', 'embed_dims', 'num_layers', 'mlp_hidden_dims',
             'num_heads', 'num_heads_from', 'with_dist_token',
             'dist_token_dropped')
#: arch-name prefixes to suggest first, per source format (the settings of
#: 'cae-small' and 'mocov3-small' are the same; the name says why)
_ARCH_PREFERENCE = {
    'cae': 'cae-',
    'beit': 'cae-',
    'mmpretrain_cae': 'cae-',
    'mmpretrain_beit': 'cae-',
    'mocov3': 'mocov3-',
}
_CONFIG_KEY = 'model.backbone'


def recorded_source_facts(checkpoint: Any) -> Dict[str, Any]:
    """The source's architecture facts a converted file records.

    ``meta['source']`` as the converter writes it (a dict with
    ``format``), or, for a file that records only ``meta['source_format']``
    (``publish_model.py --backbone-only``), the format alone.

    Returns:
        dict: a subset of :data:`FACT_KEYS`; empty when nothing is recorded.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if not isinstance(meta, dict):
        return {}
    source = meta.get('source')
    if isinstance(source, dict) and source.get('format') in FORMATS:
        return {k: source[k] for k in FACT_KEYS if k in source}
    if meta.get('source_format') in FORMATS:
        return dict(format=meta['source_format'])
    return {}


def _arch_dict(facts: Dict[str, Any], num_heads: int) -> str:
    return (f"arch=dict(embed_dims={facts.get('embed_dims')}, num_layers="
            f"{facts.get('num_layers')}, num_heads={num_heads}, "
            f"mlp_hidden_dims={facts.get('mlp_hidden_dims')})")


def suggest_arch(facts: Dict[str, Any], num_heads: int) -> str:
    """The config setting of a ViT with the source's architecture, e.g.
    ``"model.backbone.arch='cae-small'"``: a named arch of
    :data:`mmcae.models.backbones.vit.ARCH_SETTINGS` with the source's
    width, MLP size and ``num_heads`` (preferring the source's family,
    :data:`_ARCH_PREFERENCE`), else an arch dict."""
    from ..models.backbones.vit import ARCH_SETTINGS
    wanted = dict(
        embed_dims=facts.get('embed_dims'),
        num_heads=num_heads,
        mlp_hidden_dims=facts.get('mlp_hidden_dims'))
    names = [
        name for name, settings in ARCH_SETTINGS.items() if all(
            settings[k] == v for k, v in wanted.items() if v is not None)
    ]
    if not names:
        return f'{_CONFIG_KEY}.{_arch_dict(facts, num_heads)}'
    prefix = _ARCH_PREFERENCE.get(facts.get('format'), '\0')
    name = sorted(
        names,
        key=lambda n: (not n.startswith(prefix), '-' in n,
                       n.startswith('mocov3-')))[0]
    setting = f"{_CONFIG_KEY}.arch='{name}'"
    layers = facts.get('num_layers')
    if layers and ARCH_SETTINGS[name]['num_layers'] != layers:
        setting += (f" ({ARCH_SETTINGS[name]['num_layers']} blocks; this "
                    f'file has {layers}: {_arch_dict(facts, num_heads)})')
    return setting


def _drop_option(filename: str) -> str:
    return (f"init_cfg=dict(type='Pretrained', checkpoint='{filename}', "
            'drop_dist_token=True), or convert it with '
            'tools/model_converters/convert_checkpoint.py --drop-dist-token')


def check_architecture(model: nn.Module, facts: Dict[str, Any],
                       has_dist_token: bool, filename: str,
                       drop_dist_token: bool) -> List[str]:
    """What in ``facts`` contradicts ``model``: the head count, a [DIST]
    token the model lacks (unless it is dropped on request) or one it has
    but the file does not.

    Returns:
        list[str]: one sentence per contradiction, each naming the config
        option that fixes it; empty when the model fits.
    """
    problems = []
    heads, own_heads = facts.get('num_heads'), getattr(model, 'num_heads',
                                                       None)
    if heads and own_heads and heads != own_heads:
        problems.append(
            f"the file has {heads} attention heads "
            f"({facts.get('num_heads_from', facts.get('format'))}); the "
            f'model has {own_heads}: set {suggest_arch(facts, heads)}')
    model_dist = getattr(model, 'dist_token', None) is not None
    if has_dist_token and not model_dist and not drop_dist_token:
        problems.append(
            'the file is a distilled DeiT with a [DIST] token, which every '
            'token of the original attends to; the model has none: set '
            f'{_CONFIG_KEY}.with_dist_token=True (features as the original), '
            f'or drop the token on purpose: {_drop_option(filename)}')
    elif not has_dist_token and model_dist:
        problems.append(
            'the file has no [DIST] token ' +
            ('(it was dropped when it was converted) '
             if facts.get('format') == 'deit_distilled' else '') +
            f'and the model has one: set {_CONFIG_KEY}.with_dist_token=False')
    elif (not has_dist_token and facts.get('format') == 'deit_distilled'
          and not facts.get('dist_token_dropped') and not drop_dist_token):
        # a converted file that lost [DIST] without the user asking for it
        problems.append(
            'the file was converted from a distilled DeiT without its [DIST] '
            'token and without --drop-dist-token, so it does not give the '
            "original's features: convert the original again (the [DIST] "
            f'token is kept) and set {_CONFIG_KEY}.with_dist_token=True, or '
            'load it as it is with '
            f"init_cfg=dict(type='Pretrained', checkpoint='{filename}', "
            'drop_dist_token=True)')
    return problems


def _norm_to_fc_norm(model: nn.Module, state_dict: Dict[str, torch.Tensor],
                     summary: str) -> None:
    """Rename the file's final ``norm.*`` to ``fc_norm.*``, in place."""
    if getattr(model, 'fc_norm', None) is None or getattr(
            model, 'norm', None) is not None:
        raise CheckpointFormatError(
            f'{summary} with norm_to_fc_norm=True failed: the option loads '
            "the file's final norm into the pooled-feature norm fc_norm, so "
            "the model needs out_type='avg_featmap' and final_norm=False "
            f"(it has out_type={getattr(model, 'out_type', None)!r}, "
            f"final_norm={getattr(model, 'norm', None) is not None}): set "
            f"{_CONFIG_KEY}.out_type='avg_featmap' and "
            f'{_CONFIG_KEY}.final_norm=False, or drop norm_to_fc_norm')
    keys = [k for k in state_dict if k.startswith('norm.')]
    if not keys:
        held = [k for k in state_dict if k.startswith('fc_norm.')]
        raise CheckpointFormatError(
            f'{summary} with norm_to_fc_norm=True failed: the file has no '
            'final norm (norm.weight / norm.bias)' +
            (f'; it has {held}, which load into fc_norm as they are: drop '
             'norm_to_fc_norm' if held else ''))
    for key in keys:
        # the official rename replaces a fc_norm the file may also hold
        state_dict['fc_norm.' + key[len('norm.'):]] = state_dict.pop(key)


def load_vit_pretrained(model: nn.Module,
                        filename: str,
                        fmt: str = 'auto',
                        map_location: Optional[str] = 'cpu',
                        norm_to_fc_norm: bool = False,
                        drop_dist_token: bool = False) -> str:
    """Convert and load a pretrained checkpoint into ``model``.

    Args:
        model (ViT): the backbone.
        filename (str): checkpoint path (local files load safely, see
            :mod:`mmcae.checkpoint.reader`).
        fmt (str): checkpoint layout or 'auto'.
        map_location (str): where tensors are loaded. Defaults to 'cpu'.
        norm_to_fc_norm (bool): load the file's final ``norm.*`` into the
            model's ``fc_norm.*`` (official CAE fine-tuning with mean
            pooling); the model needs ``out_type='avg_featmap'`` and
            ``final_norm=False``. Defaults to False (``norm.*`` is
            reported unexpected, ``fc_norm`` keeps its identity init, as
            MAE's fine-tuning starts).
        drop_dist_token (bool): load a distilled DeiT into a model without
            ``with_dist_token``, dropping its [DIST] token and position row
            (the features are then not the original's). Defaults to False:
            such a load is refused.

    Returns:
        str: the detected format.

    Raises:
        CheckpointFormatError: the source's architecture facts (head
            count, [DIST]) contradict the model; encoder keys missing or
            shapes that differ (other than position tables, which are
            resized). The message names the file, what differs and the
            config option to set.
    """
    if '://' not in filename and not osp.isfile(osp.expanduser(filename)):
        raise CheckpointNotFoundError(
            f"pretrained checkpoint '{filename}' not found (cwd "
            f"'{os.getcwd()}'): convert or download it there, or point the "
            'config elsewhere, e.g. --cfg-options '
            f'{_CONFIG_KEY}.init_cfg.checkpoint=PATH')
    checkpoint = read_checkpoint(filename, map_location=map_location)
    state_dict, fmt = convert_vit_checkpoint(checkpoint, fmt)
    recorded = recorded_source_facts(checkpoint)
    facts = architecture_facts(state_dict, recorded.get('format', fmt))
    facts.update(recorded)
    source = facts['format']
    summary = (f"loading '{filename}' ({fmt} layout"
               f"{'' if source == fmt else f', converted from {source}'}) "
               f'into {type(model).__name__}')
    has_dist_token = 'dist_token' in state_dict
    arch_problems = check_architecture(model, facts, has_dist_token,
                                       filename, drop_dist_token)
    if arch_problems:
        # these explain any shape mismatches too: they alone are reported
        raise CheckpointFormatError(summary + ' refused: ' +
                                    '; '.join(arch_problems) + '.')
    notes = []
    if has_dist_token and getattr(model, 'dist_token', None) is None:
        remove_dist_token(state_dict)  # drop_dist_token=True
        notes.append('[DIST] token dropped (drop_dist_token=True)')
    if norm_to_fc_norm:
        _norm_to_fc_norm(model, state_dict, summary)
        notes.append('final norm.* loaded into fc_norm.* '
                     '(norm_to_fc_norm=True)')
    own = model.state_dict()
    diff = diff_state_dict(own, state_dict, ignore_shapes=_RESIZED)
    missing, unexpected = sorted(diff.missing), sorted(diff.unexpected)
    mismatched = [
        f'{key}: checkpoint {tuple(state_dict[key].shape)} vs model '
        f'{tuple(own[key].shape)}' for key in sorted(diff.mismatched)
    ]
    problems = []
    if missing:
        problems.append(f'missing keys (kept their init): {missing}')
    if unexpected:
        problems.append(f'unexpected keys (ignored): {unexpected}')
    if mismatched:
        problems.append(f'shape mismatches: {mismatched}')
    fatal = mismatched or [
        k for k in missing
        if k.startswith(_ESSENTIAL) and not k.endswith(_OPTIONAL)
    ]
    if fatal:
        raise CheckpointFormatError(summary + ' failed: ' +
                                    '; '.join(problems) +
                                    '. Check the arch, patch size and '
                                    'qkv_bias / layer-scale options.')
    try:
        model.load_state_dict(state_dict, strict=False)
    except RuntimeError as err:
        # shapes the checks above let through (a resized table whose other
        # dimension differs, e.g. relative position tables of other heads)
        detail = ' '.join(str(err).split())  # torch's is several lines
        raise CheckpointFormatError(
            f'{summary} failed: {detail} Check the arch (heads: '
            f'{facts.get("num_heads", "unknown")} in the file) and the '
            'position-table options.') from err
    print_log(
        summary + ': ' + '; '.join(notes + problems or ['all keys matched']),
        logger='current')
    return fmt
