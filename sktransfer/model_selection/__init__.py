"""Choosing and trusting a transfer: domain-aware splitters, target scorers, a guard.

Splitters keep the labels of the test rows out of training and test on target
rows; scorers judge a model on the target, with target labels
(:class:`TargetScorer`) or without (importance-weighted validation, reverse
validation, prediction entropy); :class:`NegativeTransferGuard` keeps a
transfer estimator only when it beats the no-transfer baselines;
:func:`cross_val_predict_target` gives out-of-fold predictions of the labeled
target rows, and :class:`TargetCalibratedClassifier` calibrates on them.
"""

from ._calibration import TargetCalibratedClassifier
from ._guard import NegativeTransferGuard, NegativeTransferWarning
from ._scorers import (
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    ReverseValidationScorer,
    TargetScorer,
)
from ._split import (
    DomainShuffleSplit,
    LeaveOneDomainOut,
    TargetKFold,
    TargetShuffleSplit,
    TargetStratifiedKFold,
    TargetStratifiedShuffleSplit,
)
from ._validation import cross_val_predict_target

__all__ = [
    "DomainShuffleSplit",
    "ImportanceWeightedScorer",
    "LeaveOneDomainOut",
    "NegativeTransferGuard",
    "NegativeTransferWarning",
    "PredictionEntropyScorer",
    "ReverseValidationScorer",
    "TargetCalibratedClassifier",
    "TargetKFold",
    "TargetScorer",
    "TargetShuffleSplit",
    "TargetStratifiedKFold",
    "TargetStratifiedShuffleSplit",
    "cross_val_predict_target",
]
