"""Data shared by the model-selection tests."""

import numpy as np

from sktransfer import stack_domains


def shortcut_domains(seed, *, contradicting=False, n=300, n_labeled=16, n_noise=10):
    """Feature 0 carries the class in both domains; feature 1 only in the source.

    A source-trained model leans on feature 1 and fails on the target; TCA
    drops it. ``contradicting`` reverses the source labels: then any use of
    the source hurts.
    """
    rng = np.random.RandomState(seed)
    ys, yt = rng.randint(2, size=n), rng.randint(2, size=n)
    Xs = np.c_[
        2 * ys - 1 + rng.normal(0, 1, n),
        2 * (2 * ys - 1) + rng.normal(0, 0.5, n),
        rng.normal(0, 1, (n, n_noise)),
    ]
    Xt = np.c_[
        2 * yt - 1 + rng.normal(0, 1, n),
        4 + rng.normal(0, 0.5, n),
        rng.normal(0, 1, (n, n_noise)),
    ]
    if contradicting:
        ys = 1 - ys
    yt_train = np.full(n, -1)
    labeled = rng.choice(n, n_labeled, replace=False)
    yt_train[labeled] = yt[labeled]
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt_train))
    return X, y, sample_domain, Xt, yt
