# CIFAR-10 train split for pretraining (no labels, no evaluation); swap the
# base for ./cifar10_official.py to read the official python format.
_base_ = ['./cifar10_folder.py']

train_dataloader = dict(
    batch_size=256,
    drop_last=True,
    collate_fn=dict(type='default_collate'))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
