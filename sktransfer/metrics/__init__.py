"""How far apart domains are: MMD, its two-sample test, proxy A-distance,
density ratios, a summary, and the median-heuristic kernel width."""

from .._kernels import gamma_from_bandwidth, median_bandwidth
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
    "gamma_from_bandwidth",
    "median_bandwidth",
    "mmd2",
    "mmd2_test",
    "proxy_a_distance",
    "transferability_summary",
]
