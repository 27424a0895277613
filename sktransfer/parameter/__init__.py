"""Parameter transfer: start the target model from a source model.

The source model is fitted inside ``fit`` on the labeled source rows, or
given already fitted as ``sklearn.frozen.FrozenEstimator(model)``.
"""

from ._augmentation import (
    FeatureAugmentation,
    InterpolatedTransferClassifier,
    InterpolatedTransferRegressor,
)
from ._boosting import SourceBoostingClassifier, SourceBoostingRegressor
from ._linear import RegularTransferLogisticRegression, RegularTransferRidge
from ._tree import TransferForestClassifier, TransferTreeClassifier

__all__ = [
    "FeatureAugmentation",
    "InterpolatedTransferClassifier",
    "InterpolatedTransferRegressor",
    "RegularTransferLogisticRegression",
    "RegularTransferRidge",
    "SourceBoostingClassifier",
    "SourceBoostingRegressor",
    "TransferForestClassifier",
    "TransferTreeClassifier",
]
