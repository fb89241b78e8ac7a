_base_ = './probe_lars_90e.py'

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='SGD', lr=0.4, momentum=0.9, weight_decay=0.))

auto_scale_lr = dict(base_batch_size=8192)
