"""How far apart domains are: MMD, its two-sample test, proxy A-distance,
density ratios, a summary."""

from ._discrepancy import (
    MMDTestResult,
    TransferabilitySummary,
    domain_classifier_ratio,
    mmd2,
    mmd2_test,
    proxy_a_distance,
    transferability_summary,
)

__all__ = [
    "MMDTestResult",
    "TransferabilitySummary",
    "domain_classifier_ratio",
    "mmd2",
    "mmd2_test",
    "proxy_a_distance",
    "transferability_summary",
]
