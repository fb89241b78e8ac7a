# Uni-SSL with a ResNet-50 encoder, 100 epochs on ImageNet-1k. The paper
# says the framework "can be either convolutional neural networks (CNNs) or
# vision transformers" and that for ResNet-50 the global average pooling is
# removed, but reports ViT-B/16 only: this config has no paper number. The
# dense map is the last stage (2048 x 7 x 7, stride 32); the 80-px windows
# are centred on its 32-px cells (2.5 cells wide); K = 5 points in the
# overlap are read bilinearly from the 7 x 7 map. Same recipe as the ViT
# (AdamW, lr 5e-4 x 1024 / 256, 10 warmup epochs); no drop path.
#   bash tools/dist_train.sh \
#       configs/unissl/unissl_resnet50_8xb128-amp-coslr-100e_in1k.py 8
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    neck=dict(in_channels=2048),
    feature_channels=2048)
