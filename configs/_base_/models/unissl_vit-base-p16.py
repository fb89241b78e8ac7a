# Uni-SSL with a ViT-B/16 encoder (Uni-SSL Sec. 3, Fig. 4, Eq. 8-11): the
# DINO student / EMA teacher, head and loss of dino_vit-base-p16.py, applied
# to local features:
#   encoder     the 14 x 14 patch tokens after the final norm as the dense
#               map (out_type='featmap')
#   sampling    K x K = 5 x 5 points uniformly in the two views' overlap,
#               bilinear grid_sample in each view's token map
#   L_sim       DINO's head on every sampled point, DINO's centred
#               cross-entropy (student view 1, teacher view 2)
#   L_pixel     Linear(768 -> 3 x 80 x 80) on every token vs the 80 x 80
#               window of view 1 around it (S = 80 = 5 x 5 tokens), MSE
_base_ = ['./dino_vit-base-p16.py']

model = dict(
    type='mmcae.UniSSL',
    backbone=dict(out_type='featmap'),
    feature_channels=768,
    num_points=5,
    pixel_window=80,
    pixel_weight=1.0,
    norm_pix=False,
    symmetric=False)
