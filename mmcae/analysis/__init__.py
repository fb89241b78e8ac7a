"""Attention analysis of ViTs and MAE decoders (Uni-SSL Sec. 2.2 and 2.3):
attention recording, mean attention distance, and the similarity and
relative maps of MAE's decoder attention."""
from .attention_distance import (attention_distance,
                                 attention_distance_per_image, build_model,
                                 find_images, full_image_forward,
                                 load_checkpoint, load_image, load_images,
                                 model_attention_distance, patch_centres,
                                 patch_distances, patch_size_of)
from .attention_recorder import (AttentionRecorder, record_attention,
                                 sdpa_weights, supported_attention_types)
from .decoder_attention import (FixedMasking, SimilarityAccumulator,
                                analyze_mae_decoder, attention_similarity,
                                build_mae, decoder_arg_parser, fixed_masking,
                                mae_grid, mae_img_size, mae_parts,
                                mask_token_attention, parse_decoder_args,
                                relative_attention_map, relative_attention_sum,
                                run_decoder_analysis)

__all__ = [
    'AttentionRecorder', 'record_attention', 'sdpa_weights',
    'supported_attention_types', 'attention_distance',
    'attention_distance_per_image', 'model_attention_distance',
    'patch_centres', 'patch_distances', 'patch_size_of',
    'full_image_forward', 'find_images', 'load_image', 'load_images',
    'build_model', 'load_checkpoint', 'FixedMasking', 'fixed_masking',
    'mask_token_attention', 'SimilarityAccumulator', 'attention_similarity',
    'relative_attention_sum', 'relative_attention_map', 'mae_parts',
    'mae_grid', 'mae_img_size', 'build_mae', 'analyze_mae_decoder',
    'decoder_arg_parser', 'parse_decoder_args', 'run_decoder_analysis'
]
