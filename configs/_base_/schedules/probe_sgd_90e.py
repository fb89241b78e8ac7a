# The attentive-probing schedule of the CAE papers (arXiv 2022 App. A, IJCV
# 2023 "Attentive probing"): SGD, momentum 0.9, lr 0.4 for the total batch
# 8192, weight decay 0, 90 epochs, 10 warmup epochs then cosine to 0,
# stepped per iteration; mixed precision. Only the probe's parameters
# reach the optimizer, and the build fails if the encoder is not frozen
# (mmcae.ProbeOptimWrapperConstructor).
#
# Another total batch: tools/train.py --auto-scale-lr scales the lr
# linearly from base_batch_size below.
_base_ = './probe_lars_90e.py'

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='SGD', lr=0.4, momentum=0.9, weight_decay=0.))

auto_scale_lr = dict(base_batch_size=8192)
