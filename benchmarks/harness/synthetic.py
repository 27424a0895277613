"""Synthetic regression transfer tasks shared by several studies.

:func:`friedman1_task` is Friedman #1 transfer in the spirit of Pardoe & Stone
(2010): ``y = a1 10 sin(pi (b1 x1 + c1)(b2 x2 + c2)) + a2 20 (b3 x3 + c3 -
0.5)^2 + a3 10 (b4 x4 + c4) + a4 5 (b5 x5 + c5) + N(0, 1)`` with ``x ~ U[0,
1]^10``; the target and the source concept each draw ``a_i, b_i ~ N(1,
0.1^2)`` and ``c_i ~ N(0, 0.05^2)``; ``N_SOURCE`` source rows, ``N_TEST``
target test rows, labeled target rows from a pool of ``TARGET_POOL``.
"""

import numpy as np

N_SOURCE = 1000
N_TEST = 2000
TARGET_POOL = 200  # the labeled target rows are the first n of this pool


def _draw_concept(rng):
    """Coefficients ``a, b`` (5 each, around 1) and ``c`` (5, around 0)."""
    return rng.normal(1.0, 0.1, 5), rng.normal(1.0, 0.1, 5), rng.normal(0.0, 0.05, 5)


def _friedman1(X, concept, rng):
    a, b, c = concept
    u = X[:, :5] * b + c
    y = (
        a[0] * 10 * np.sin(np.pi * u[:, 0] * u[:, 1])
        + a[1] * 20 * (u[:, 2] - 0.5) ** 2
        + a[2] * 10 * u[:, 3]
        + a[3] * 5 * u[:, 4]
    )
    return y + rng.normal(size=X.shape[0])


def friedman1_task(n_labeled, seed, contradicting_share=0.0):
    """Source rows, labeled target rows and target test rows of one seed:
    ``(X_source, y_source, X_labeled, y_labeled, X_test, y_test)``.

    The concepts, source rows and test rows depend on the seed only, and the
    labeled rows are the first ``n_labeled`` of one pool, so a larger
    ``n_labeled`` adds rows to the same task. A ``contradicting_share`` of the
    source rows follows a concept with the signs of ``a`` flipped.
    """
    rng = np.random.RandomState(seed)
    target, source = _draw_concept(rng), _draw_concept(rng)
    a, b, c = _draw_concept(rng)
    contradicting = (-a, b, c)
    Xs = rng.uniform(size=(N_SOURCE, 10))
    n_contradicting = int(round(contradicting_share * N_SOURCE))
    ys = np.concatenate(
        [
            _friedman1(Xs[:n_contradicting], contradicting, rng),
            _friedman1(Xs[n_contradicting:], source, rng),
        ]
    )
    X_test = rng.uniform(size=(N_TEST, 10))
    y_test = _friedman1(X_test, target, rng)
    X_pool = rng.uniform(size=(TARGET_POOL, 10))
    y_pool = _friedman1(X_pool, target, rng)
    return Xs, ys, X_pool[:n_labeled], y_pool[:n_labeled], X_test, y_test
