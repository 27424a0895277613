"""Paired statistics: a method against a baseline on the same splits."""

import numpy as np

# The words of :func:`verdict` for a difference read as better or worse than a
# baseline (beyond 2 standard errors above zero, within, below).
BETTER_TIE_WORSE = ("better", "tie", "worse")


def mean_se(values):
    """Mean and standard error (``ddof=1``; NaN below two values) of finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    se = values.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    return float(values.mean()), float(se)


def paired_gain(a, b):
    """Mean and standard error of ``a - b`` over the pairs where both are finite,
    and the number of pairs: ``(mean, se, n)``."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    diff = diff[np.isfinite(diff)]
    mean, se = mean_se(diff)
    return mean, se, len(diff)


def paired(frame, index, column, value, a, b):
    """:func:`paired_gain` of ``value[a] - value[b]`` in a long pandas frame.

    ``frame`` has one row per ``index`` and ``column`` entry; pairs with a side
    missing are left out. Returns ``(mean, standard error, pairs)``.
    """
    table = frame.pivot(index=index, columns=column, values=value)
    return paired_gain(table[a], table[b])


def verdict(gain, se, words=("win", "tie", "loss")):
    """``words[0]`` / ``words[2]`` when the mean gain is beyond 2 standard
    errors above / below zero, else ``words[1]`` (also when either is NaN)."""
    if gain > 2 * se and gain > 0:
        return words[0]
    if gain < -2 * se and gain < 0:
        return words[2]
    return words[1]


def method_means(rows, column="accuracy"):
    """``"method mean, ..."``: the mean of ``column`` per ``method`` of the
    rows, methods in the order they come (for progress logs)."""
    import pandas as pd

    means = pd.DataFrame(rows).groupby("method", sort=False)[column].mean()
    return ", ".join(f"{m} {value:.3f}" for m, value in means.items())
