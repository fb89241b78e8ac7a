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
# This config: lambda 0.1, L_NCE.
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-400e_lambda0.2-nce_in1k.py']

model = dict(align_weight=0.1)
