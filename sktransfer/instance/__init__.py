"""Instance transfer: reweight or select source rows for the target."""

from ._tradaboost import (
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
)

__all__ = [
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostRegressor",
]
