"""Checkpoint conversion: any published ViT layout -> mmcae.ViT keys."""
from .convert import (convert_vit_checkpoint, resize_position_tables,
                      resize_relative_position_table)
from .formats import (FORMATS, CheckpointFormatError, detect_format,
                      unwrap_state_dict)
from .load import load_vit_pretrained

__all__ = [
    'FORMATS', 'CheckpointFormatError', 'convert_vit_checkpoint',
    'detect_format', 'unwrap_state_dict', 'resize_position_tables',
    'resize_relative_position_table', 'load_vit_pretrained'
]
