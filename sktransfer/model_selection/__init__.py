"""Choosing and trusting a transfer: domain-aware splitters, target scorers, a guard.

Splitters keep the labels of the test rows out of training and test on target
rows; scorers judge a model on the target, with target labels
(:class:`TargetScorer`) or without (importance-weighted validation, reverse
validation, prediction entropy); :class:`NegativeTransferGuard` keeps a
transfer estimator only when it beats the no-transfer baselines.
"""

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

__all__ = [
    "DomainShuffleSplit",
    "ImportanceWeightedScorer",
    "LeaveOneDomainOut",
    "NegativeTransferGuard",
    "NegativeTransferWarning",
    "PredictionEntropyScorer",
    "ReverseValidationScorer",
    "TargetKFold",
    "TargetScorer",
    "TargetShuffleSplit",
    "TargetStratifiedKFold",
    "TargetStratifiedShuffleSplit",
]
