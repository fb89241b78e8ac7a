_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4'
          '_ade20k-512x512.py']
