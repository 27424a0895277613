"""Instance transfer: reweight or select source rows for the target."""

from ._discriminative import DiscriminativeReweighting
from ._kernel_density_ratio import KLIEP, ULSIF, RuLSIF, kliep_weights, ulsif_weights
from ._kmm import KernelMeanMatching, kmm_weights
from ._label_shift import LabelShiftAdapter
from ._tradaboost import (
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
)

__all__ = [
    "DiscriminativeReweighting",
    "KLIEP",
    "KernelMeanMatching",
    "LabelShiftAdapter",
    "RuLSIF",
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostRegressor",
    "ULSIF",
    "kliep_weights",
    "kmm_weights",
    "ulsif_weights",
]
