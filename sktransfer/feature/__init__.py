"""Feature transfer: map the domains into a space where they are alike."""

from ._tca import SemiSupervisedTCA, TransferComponentAnalysis

__all__ = ["SemiSupervisedTCA", "TransferComponentAnalysis"]
