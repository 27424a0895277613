"""Parameter transfer: start the target model from a source model.

The source model is fitted inside ``fit`` on the labeled source rows, or
given already fitted as ``sklearn.frozen.FrozenEstimator(model)``.
"""

from ._boosting import SourceBoostingClassifier, SourceBoostingRegressor

__all__ = ["SourceBoostingClassifier", "SourceBoostingRegressor"]
