"""Instance transfer: reweight or select source rows for the target."""

from ._tradaboost import TrAdaBoostClassifier

__all__ = ["TrAdaBoostClassifier"]
