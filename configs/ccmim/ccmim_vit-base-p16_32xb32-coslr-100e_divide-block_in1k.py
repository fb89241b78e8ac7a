# Table 5 at 100 epochs, block division.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-100e'
          '_divide-importance-sampling_in1k.py']

model = dict(mask_strategy='block')
