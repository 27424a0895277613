"""Feature transfer: map the domains into a space where they are alike."""

from ._alignment import CORAL, SubspaceAlignment
from ._jda import JointDistributionAdaptation
from ._tca import SemiSupervisedTCA, TransferComponentAnalysis

__all__ = [
    "CORAL",
    "JointDistributionAdaptation",
    "SemiSupervisedTCA",
    "SubspaceAlignment",
    "TransferComponentAnalysis",
]
