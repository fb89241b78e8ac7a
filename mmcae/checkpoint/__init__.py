"""Checkpoint conversion: any published ViT layout -> mmcae.ViT keys;
publishing a training checkpoint (weights and meta, named by content)."""
from .convert import (convert_vit_checkpoint, resize_position_tables,
                      resize_relative_position_table)
from .formats import (FORMATS, CheckpointFormatError, detect_format,
                      unwrap_state_dict)
from .load import load_vit_pretrained
from .publish import (build_published_checkpoint, code_version_meta,
                      output_prefix, save_with_content_hash)

__all__ = [
    'FORMATS', 'CheckpointFormatError', 'convert_vit_checkpoint',
    'detect_format', 'unwrap_state_dict', 'resize_position_tables',
    'resize_relative_position_table', 'load_vit_pretrained',
    'build_published_checkpoint', 'code_version_meta', 'output_prefix',
    'save_with_content_hash'
]
