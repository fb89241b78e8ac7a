_base_ = 'mmpretrain::deit/deit-base_16xb64_in1k.py'
