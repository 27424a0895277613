"""sktransfer: classical transfer learning for scikit-learn.

Estimators follow the ``sample_domain`` convention: rows of every domain are
stacked in one ``X`` and ``sample_domain`` gives each row's domain (``>= 0``
source, ``< 0`` target). See :func:`stack_domains`.
"""

from . import metrics, model_selection, parameter, relational
from ._domain import split_domains, stack_domains
from ._pipeline import LabeledOnly, TransferPipeline, make_transfer_pipeline
from .feature import SemiSupervisedTCA, TransferComponentAnalysis
from .instance import (
    DiscriminativeReweighting,
    KernelMeanMatching,
    LabelShiftAdapter,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
)
from .model_selection import NegativeTransferGuard

__version__ = "0.1.0.dev0"

__all__ = [
    "DiscriminativeReweighting",
    "LabeledOnly",
    "KernelMeanMatching",
    "LabelShiftAdapter",
    "NegativeTransferGuard",
    "SemiSupervisedTCA",
    "TrAdaBoostClassifier",
    "TransferComponentAnalysis",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostRegressor",
    "TransferPipeline",
    "make_transfer_pipeline",
    "metrics",
    "model_selection",
    "parameter",
    "relational",
    "split_domains",
    "stack_domains",
]
