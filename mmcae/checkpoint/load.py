"""Load any supported ViT checkpoint into a :class:`mmcae.models.ViT`.

mmengine's ``Pretrained`` init loads with ``strict=False`` and only logs
what did not match, so a backbone that silently kept its random weights
(wrong file, wrong layout, wrong size) trains on; the first sign is a poor
number days later. :func:`load_vit_pretrained` converts the file from
whatever layout it has, then reports missing keys, unexpected keys and
shape mismatches in ONE message, and raises when the encoder itself
(patch embedding, blocks) was not fully loaded.
"""
import os
import os.path as osp
from typing import Optional

from mmengine.logging import print_log
from torch import nn

from .convert import convert_vit_checkpoint
from .errors import CheckpointFormatError, CheckpointNotFoundError
from .weights import diff_state_dict, read_checkpoint

#: keys that must come from the checkpoint (else the encoder is random)
_ESSENTIAL = ('patch_embed.', 'blocks.')
#: tables the ViT resizes to its own grid while loading
_RESIZED = ('pos_embed', 'relative_position_bias.table')
#: encoder keys a checkpoint may lack: fine-tuning recipes add relative
#: position tables (zero-initialized, BEiT App. C) to encoders pretrained
#: without them (CAE, MAE), as BEiT's and CAE's segmentation code does
_OPTIONAL = ('relative_position_bias.table', )


def load_vit_pretrained(model: nn.Module,
                        filename: str,
                        fmt: str = 'auto',
                        map_location: Optional[str] = 'cpu') -> str:
    """Convert and load a pretrained checkpoint into ``model``.

    Args:
        model (ViT): the backbone.
        filename (str): checkpoint path (local files load safely, see
            :mod:`mmcae.checkpoint.reader`).
        fmt (str): checkpoint layout or 'auto'.
        map_location (str): where tensors are loaded. Defaults to 'cpu'.

    Returns:
        str: the detected format.

    Raises:
        CheckpointFormatError: encoder keys missing or shapes that differ
            (other than position tables, which are resized); the message
            names the file, every such key and both shapes.
    """
    if '://' not in filename and not osp.isfile(osp.expanduser(filename)):
        raise CheckpointNotFoundError(
            f"pretrained checkpoint '{filename}' not found (cwd "
            f"'{os.getcwd()}'): convert or download it there, or point the "
            'config elsewhere, e.g. --cfg-options '
            'model.backbone.init_cfg.checkpoint=PATH')
    checkpoint = read_checkpoint(filename, map_location=map_location)
    state_dict, fmt = convert_vit_checkpoint(checkpoint, fmt)
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
    if fmt == 'mocov3' and getattr(model, 'embed_dims', None) == 384 and \
            getattr(model, 'num_heads', 12) != 12:
        # the weights fit either head count; the outputs do not
        fatal = True
        problems.append("MoCo v3's ViT-S has 12 attention heads, the model "
                        f'has {model.num_heads}: use arch=\'mocov3-small\'')
    summary = (f"loading '{filename}' ({fmt} layout) into "
               f'{type(model).__name__}')
    if fatal:
        raise CheckpointFormatError(summary + ' failed: ' +
                                    '; '.join(problems) +
                                    '. Check the arch, patch size and '
                                    'qkv_bias / layer-scale options.')
    model.load_state_dict(state_dict, strict=False)
    print_log(
        summary + ': ' +
        ('; '.join(problems) if problems else 'all keys matched'),
        logger='current')
    return fmt
