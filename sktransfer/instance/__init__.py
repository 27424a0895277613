"""Instance transfer: reweight or select source rows for the target."""

from ._kmm import KernelMeanMatching, kmm_weights
from ._tradaboost import (
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
)

__all__ = [
    "KernelMeanMatching",
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostRegressor",
    "kmm_weights",
]
