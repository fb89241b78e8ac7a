"""Evaluation protocols that judge a frozen encoder without training
anything on top of it: the weighted k-NN classifier of DINO
(:mod:`mmcae.evaluation.knn`). Protocols that train a head (linear and
attentive probing, fine-tuning) are configs run by ``tools/train.py``.
"""
from .knn import evaluate_knn, extract_features, knn_classify

__all__ = ['knn_classify', 'extract_features', 'evaluate_knn']
