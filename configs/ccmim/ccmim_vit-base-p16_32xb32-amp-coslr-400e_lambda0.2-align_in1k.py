# ccMIM lambda sweep (Sec. 4.3, "Regularization on classification token
# and effect of lambda", Fig. 4.3 / "Fig. 3"): ViT-B, 400 epochs, batch
# 1024, linear probing top-1 reported for lambda from 0 to 1.0 with L_NCE
# and with L_align; best at lambda = 0.2 for both, below MAE for lambda >
# 0.8 with L_NCE. The figure's values are not in the project's text of the
# paper. The text says the sweep fixed "learning rate as 1e-5" (and batch
# 1024). That is 60x below the lr of the App. C recipe (1.5e-4 x 1024 / 256
# = 6e-4) that every other ccMIM result uses, and the text gives no other
# change of recipe for the sweep, so we read it as a slip (untested) and
# keep the recipe's lr, which makes the lambda = 0.2 L_NCE point the main
# recipe at 400 epochs. For the text's value add
#   --cfg-options optim_wrapper.optimizer.lr=1e-5
# This config: lambda 0.2, L_align (SimSiam-style alignment instead of
# InfoNCE; the other L_align points derive from it).
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-400e_lambda0.2-nce_in1k.py']

# L_align (Eq. 8): 1 - cos(SG(h_M), p(h_V)), p a SimSiam predictor
# ("two layers MLP", Sec. 3.1; the paper gives no size: Linear(256,
# 4096)-BN-ReLU-Linear(4096, 256), BYOL's predictor for a 256-d projection,
# which the paper cites beside SimSiam)
model = dict(
    align_weight=0.2,
    align_head=dict(
        _delete_=True,
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=256,
            hid_channels=4096,
            out_channels=256,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='SyncBN')),
        loss=dict(
            type='CosineSimilarityLoss', shift_factor=1., scale_factor=1.)))
