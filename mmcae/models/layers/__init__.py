"""Building blocks shared by the backbone, necks and heads."""
from .attention import Attention
from .cross_attention import CrossAttention
from .pos_embed import (build_2d_sincos_pos_embed, resize_pos_embed,
                        resize_position_tables)
from .relative_position import (RelativePositionBias, relative_position_index,
                                resize_relative_position_table,
                                resize_square_relative_position_table)
from .transformer_block import Mlp, TransformerBlock

__all__ = [
    'Attention', 'CrossAttention', 'Mlp', 'TransformerBlock',
    'RelativePositionBias', 'relative_position_index',
    'resize_relative_position_table', 'resize_square_relative_position_table',
    'build_2d_sincos_pos_embed', 'resize_pos_embed', 'resize_position_tables'
]
