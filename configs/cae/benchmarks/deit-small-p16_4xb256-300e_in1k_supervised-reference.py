_base_ = 'mmpretrain::deit/deit-small_4xb256_in1k.py'
