"""The logic of the analysis tools (``tools/analysis_tools/``): attention
recording, mean attention distance (Uni-SSL Sec. 2.3), the similarity and
relative maps of MAE's decoder attention (Uni-SSL Sec. 2.2), ccMIM's
divisions drawn (ccMIM Fig. 3 (a)), the CAE papers' figures (reconstruction
with the regressor skipped, patch t-SNE with the k-NN of majority labels,
[CLS] and attentive-probe attention with the 50 %-mass region), parameters
and FLOPs; and what they share: images, models and checkpoints, figures,
command-line options."""
from .attention_distance import (attention_distance,
                                 attention_distance_per_image,
                                 full_image_forward, model_attention_distance,
                                 patch_centres, patch_distances, patch_size_of,
                                 run_attention_distance)
from .attention_recorder import (AttentionRecorder, record_attention,
                                 sdpa_weights, supported_attention_types)
from .attentive_probe_maps import (probe_attention_maps,
                                   run_attentive_probe_maps)
from .cae_reconstruction import (full_reconstruction, masked_reconstruction,
                                 run_cae_reconstruction)
from .ccmim_masks import build_ccmim, draw_ccmim_masks
from .cls_attention import (centre_distance, cls_attention_maps,
                            map_statistics, mass_region,
                            run_cls_attention_maps, summary_lines)
from .complexity import input_shape, model_complexity
from .decoder_attention import (FixedMasking, SimilarityAccumulator,
                                analyze_mae_decoder, attention_similarity,
                                build_mae, fixed_masking, mae_grid,
                                mae_img_size, mae_parts, mask_token_attention,
                                relative_attention_map, relative_attention_sum,
                                run_decoder_analysis, run_decoder_similarity,
                                run_relative_attention_maps,
                                summarize_relative_map)
from .images import (find_images, load_image, load_images, normalize,
                     preprocessor_normalize, sample_training_images)
from .models import build_model, build_vit, load_checkpoint
from .patch_tsne import (majority_labels, patch_knn_accuracy,
                         run_patch_tsne)

__all__ = [
    'AttentionRecorder', 'record_attention', 'sdpa_weights',
    'supported_attention_types', 'attention_distance',
    'attention_distance_per_image', 'model_attention_distance',
    'patch_centres', 'patch_distances', 'patch_size_of',
    'full_image_forward', 'run_attention_distance', 'find_images',
    'load_image', 'load_images', 'normalize', 'preprocessor_normalize',
    'sample_training_images', 'build_model', 'build_vit', 'load_checkpoint',
    'FixedMasking', 'fixed_masking',
    'mask_token_attention', 'SimilarityAccumulator', 'attention_similarity',
    'relative_attention_sum', 'relative_attention_map', 'mae_parts',
    'mae_grid', 'mae_img_size', 'build_mae', 'analyze_mae_decoder',
    'run_decoder_analysis', 'run_decoder_similarity',
    'run_relative_attention_maps', 'summarize_relative_map', 'build_ccmim',
    'draw_ccmim_masks', 'input_shape', 'model_complexity',
    'full_reconstruction', 'masked_reconstruction', 'run_cae_reconstruction',
    'majority_labels', 'patch_knn_accuracy', 'run_patch_tsne',
    'cls_attention_maps', 'mass_region', 'centre_distance',
    'map_statistics', 'run_cls_attention_maps', 'summary_lines',
    'probe_attention_maps', 'run_attentive_probe_maps'
]
