"""A Gaussian covariate shift with a known density ratio, and its scoring.

Shared by the studies ``kmm_vs_peers`` and ``reweighting_vs_peers``.

d = 20 features. Source rows ``x ~ N(0, I)``; target rows the same except
features 0 and 1, which are ``N((1.5, 0), 0.5 I)``: shifted along feature 0
and narrower in both. Label ``y = 1[x_1 - x_0^2 / 2 + 1/2 + 0.1 z > 0]`` with
``z ~ N(0, 1)``: a parabola, so a linear classifier fitted on the source
(centred at 0, where the best line is flat) is wrong on the target (centred at
x_0 = 1.5, where the boundary has slope 1.5), and weighting the source towards
the target region fixes it. The density ratio ``p_t(x) / p_s(x)`` is known in
closed form (:func:`density_ratio`).
"""

import warnings

import numpy as np

N_FEATURES = 20
SHIFT_MEAN = (1.5, 0.0)  # target mean of features 0 and 1
SHIFT_VAR = 0.5  # target variance of features 0 and 1
LABEL_NOISE = 0.1


def _target_rows(rng, n):
    X = rng.standard_normal((n, N_FEATURES))
    X[:, :2] = np.asarray(SHIFT_MEAN) + np.sqrt(SHIFT_VAR) * X[:, :2]
    return X


def _labels(rng, X):
    f = X[:, 1] - 0.5 * X[:, 0] ** 2 + 0.5
    return (f + LABEL_NOISE * rng.standard_normal(X.shape[0]) > 0).astype(int)


def make_problem(n_source, n_target, seed):
    """Source rows and labels, target rows and (reference-only) labels."""
    rng = np.random.default_rng([seed, n_source, n_target])
    X_source = rng.standard_normal((n_source, N_FEATURES))
    y_source = _labels(rng, X_source)
    X_target = _target_rows(rng, n_target)
    y_target = _labels(rng, X_target)
    return X_source, y_source, X_target, y_target


def make_test(n_test, seed):
    """A labeled target test set, the same whatever the problem's sizes."""
    rng = np.random.default_rng([seed, 7777])
    X = _target_rows(rng, n_test)
    return X, _labels(rng, X)


def density_ratio(X):
    """p_target(x) / p_source(x), which only features 0 and 1 change."""
    z = X[:, :2]
    log_t = -0.5 * ((z - np.asarray(SHIFT_MEAN)) ** 2).sum(1) / SHIFT_VAR - np.log(
        SHIFT_VAR
    )
    log_s = -0.5 * (z**2).sum(1)
    return np.exp(log_t - log_s)


def downstream_accuracy(X, y, weights, X_test, y_test, max_rows, seed):
    """Weighted LogisticRegression on the source, accuracy on the target test.

    ``LogisticRegression(max_iter=1000)`` fitted on ``X, y`` with
    ``sample_weight`` = the weights clipped at 0 and scaled to mean 1 (None:
    unweighted), on a random subsample of ``max_rows`` rows when there are
    more (``max_rows`` None or 0: all rows).
    """
    from sklearn.linear_model import LogisticRegression

    if max_rows and X.shape[0] > max_rows:
        rows = np.random.default_rng([seed, 55]).choice(X.shape[0], max_rows, False)
        X, y = X[rows], y[rows]
        weights = None if weights is None else weights[rows]
    sw = None
    if weights is not None:
        sw = np.clip(weights, 0, None)
        sw = sw / max(sw.mean(), np.finfo(float).tiny)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=1000).fit(X, y, sample_weight=sw)
    return float(model.score(X_test, y_test))
