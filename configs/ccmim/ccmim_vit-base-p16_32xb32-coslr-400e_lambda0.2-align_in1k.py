# Lambda sweep (Sec. 4.3): lambda 0.2, L_align (Eq. 8) with a SimSiam
# predictor (sizes: README.md); the parent of the other L_align points.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-nce_in1k.py']

model = dict(
    align_weight=0.2,
    align_head=dict(
        _delete_=True,
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck', in_channels=256, hid_channels=4096,
            out_channels=256, with_avg_pool=False, with_last_bn=False,
            with_last_bias=True, norm_cfg=dict(type='SyncBN')),
        loss=dict(
            type='CosineSimilarityLoss', shift_factor=1., scale_factor=1.)))
