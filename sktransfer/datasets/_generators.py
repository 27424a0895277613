"""Synthetic source/target data with a controlled kind and size of shift."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from sktransfer._domain import DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID

__all__ = ["make_domain_shift"]

_SHIFTS = ("covariate", "label", "concept")
_TASKS = ("classification", "regression")


def make_domain_shift(
    n_source=500,
    n_target=500,
    n_features=2,
    *,
    shift="covariate",
    task="classification",
    strength=1.0,
    noise=0.1,
    random_state=None,
):
    r"""Generate a source and a target domain that differ by one kind of shift.

    Source rows come first, then target rows. Every row keeps its true label,
    target rows included: mask them yourself (``y = -1`` or ``NaN``) to
    simulate an unlabeled target.

    Below, :math:`d` is ``n_features``, :math:`e_1, e_2` the first two unit
    vectors of :math:`\mathbb{R}^d`, :math:`s` is ``strength``, :math:`\sigma`
    is ``noise`` and :math:`\varepsilon \sim N(0, 1)` an independent draw per
    row. For classification the label is :math:`y = 1[f(x) + \sigma
    \varepsilon > 0]`, for regression :math:`y = f(x) + \sigma\varepsilon`,
    unless the shift says otherwise.

    ``shift="covariate"``: :math:`p(x)` differs, :math:`p(y \mid x)` does not.

        - source :math:`x \sim N(0, I_d)`, target :math:`x \sim N(3 s\, e_1,
          I_d)`;
        - both domains share the nonlinear labelling function
          :math:`f(x) = x_1 - (x_1^2 - 1) / 4 + x_2` (the :math:`x_2` term only
          when :math:`d \ge 2`). Its boundary is a parabola: near the source it
          runs along the diagonal, at :math:`x_1 = 2` it is horizontal and at
          :math:`x_1 = 4` it is turned by 90 degrees, so a linear model fitted
          on the source degrades on the target as :math:`s` grows (the default
          :math:`s = 1` centres the target at :math:`x_1 = 3`).

    ``shift="label"`` (prior shift): :math:`p(y)` differs, :math:`p(x \mid y)`
    does not. The label is drawn first and the features from it,
    :math:`x \mid y \sim N(m(y), (1 + \sigma^2) I_d)`:

        - classification: :math:`m(y) = (2y - 1)\, e_1`; the probability of
          class 1 is :math:`1/2` in the source and :math:`1 / (1 + e^{s})` in
          the target (:math:`s = 1` gives 27 % positives);
        - regression: :math:`m(y) = y\, e_1`; :math:`y \sim N(0, 1)` in the
          source and :math:`y \sim N(s, 1)` in the target.

    ``shift="concept"``: :math:`p(x)` is the same, :math:`p(y \mid x)` differs.
    Both domains draw :math:`x \sim N(0, I_d)`; the labelling function is
    linear, :math:`f(x) = w(\theta)^\top x` with :math:`w(\theta) = \cos\theta\,
    e_1 + \sin\theta\, e_2`, where :math:`\theta = 0` in the source and
    :math:`\theta = s\pi/4` in the target (:math:`s = 2` turns the boundary
    by 90 degrees, :math:`s = 4` flips every label). Needs ``n_features >= 2``.
    Because the rotation keeps :math:`N(0, I_d)`, :math:`p(y)` is unchanged too.

    With ``strength=0`` source and target are drawn from the same
    distribution. Features beyond those named above are irrelevant
    :math:`N(0, 1)` (or :math:`N(0, 1 + \sigma^2)` under label shift) noise
    features. The source rows depend only on ``random_state``, not on
    ``strength``: two calls that differ only by ``strength`` return the same
    source rows.

    Parameters
    ----------
    n_source : int, default=500
        Number of source rows, at least 1.
    n_target : int, default=500
        Number of target rows, at least 1.
    n_features : int, default=2
        Number of features, at least 1 (at least 2 for ``shift="concept"``).
    shift : {"covariate", "label", "concept"}, default="covariate"
        Which part of the joint distribution changes between the domains.
    task : {"classification", "regression"}, default="classification"
        Binary labels in ``{0, 1}`` or a real-valued response.
    strength : float, default=1.0
        Size of the shift, ``>= 0``; ``0`` means no shift.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise, ``>= 0``: added to the
        labelling function (covariate and concept shift) or to the features
        (label shift), see above.
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws, as everywhere in scikit-learn: pass an int
        for reproducible output; None uses NumPy's global random state.

    Returns
    -------
    X : ndarray of shape (n_source + n_target, n_features)
        Features, source rows first.
    y : ndarray of shape (n_source + n_target,)
        Labels: int64 in ``{0, 1}`` for classification, float64 for
        regression. Target rows carry their true labels.
    sample_domain : ndarray of shape (n_source + n_target,)
        int64; ``DEFAULT_SOURCE_ID`` (1) for source rows, ``DEFAULT_TARGET_ID``
        (-2) for target rows.

    Raises
    ------
    ValueError
        If ``shift`` or ``task`` is unknown, a count is not an integer >= 1,
        ``strength`` or ``noise`` is negative or not finite, ``n_features < 2``
        with ``shift="concept"``, or ``random_state`` is invalid.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=300, n_target=200, shift="label", random_state=0
    ... )
    >>> X.shape, y.shape, sample_domain.shape
    ((500, 2), (500,), (500,))
    >>> int((sample_domain == 1).sum()), int((sample_domain == -2).sum())
    (300, 200)
    >>> bool(y[sample_domain == -2].mean() < y[sample_domain == 1].mean())
    True
    """
    _check_arguments(n_source, n_target, n_features, shift, task, strength, noise)
    rng = check_random_state(random_state)
    sample = _SAMPLERS[shift]
    classification = task == "classification"
    # The source is drawn first, with the same number of draws whatever the
    # strength, so the source rows do not depend on ``strength``.
    X_s, y_s = sample(rng, n_source, n_features, 0.0, noise, classification)
    X_t, y_t = sample(rng, n_target, n_features, strength, noise, classification)
    X = np.vstack([X_s, X_t])
    y = np.concatenate([y_s, y_t])
    sample_domain = np.concatenate(
        [
            np.full(n_source, DEFAULT_SOURCE_ID, dtype=np.int64),
            np.full(n_target, DEFAULT_TARGET_ID, dtype=np.int64),
        ]
    )
    return X, y, sample_domain


def _check_arguments(n_source, n_target, n_features, shift, task, strength, noise):
    """Raise a ValueError naming the first invalid argument."""
    for name, value in (
        ("n_source", n_source),
        ("n_target", n_target),
        ("n_features", n_features),
    ):
        _check_count(name, value)
    if shift not in _SHIFTS:
        raise ValueError(
            f"shift must be one of {_SHIFTS}; got {shift!r}. Pick the part of "
            "the distribution that should change between source and target."
        )
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}; got {task!r}.")
    _check_non_negative("strength", strength)
    _check_non_negative("noise", noise)
    if shift == "concept" and n_features < 2:
        raise ValueError(
            "shift='concept' rotates the labelling direction in the plane of "
            f"the first two features and needs n_features >= 2; got "
            f"n_features={n_features}. Pass n_features=2 or more."
        )


def _check_count(name, value):
    """Check that ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")


def _check_non_negative(name, value):
    """Check that ``value`` is a finite real number >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"{name} must be a finite number >= 0; got {value!r}. "
            f"Use {name}=0 for none."
        )


def _finish(score, rng, noise, classification):
    """Add the label noise to ``score`` and threshold it for classification."""
    response = score + noise * rng.standard_normal(score.shape[0])
    if classification:
        return (response > 0).astype(np.int64)
    return response


def _covariate_labelling(X):
    """The nonlinear labelling function shared by both domains."""
    score = X[:, 0] - (X[:, 0] ** 2 - 1.0) / 4.0
    if X.shape[1] >= 2:
        score = score + X[:, 1]
    return score


def _sample_covariate(rng, n, n_features, strength, noise, classification):
    """Rows with inputs centred at ``3 * strength * e_1``."""
    X = rng.standard_normal((n, n_features))
    X[:, 0] += 3.0 * strength
    y = _finish(_covariate_labelling(X), rng, noise, classification)
    return X, y


def _sample_concept(rng, n, n_features, strength, noise, classification):
    """Rows labelled along a direction turned by ``strength * pi / 4``."""
    X = rng.standard_normal((n, n_features))
    theta = strength * np.pi / 4.0
    score = np.cos(theta) * X[:, 0] + np.sin(theta) * X[:, 1]
    y = _finish(score, rng, noise, classification)
    return X, y


def _sample_label(rng, n, n_features, strength, noise, classification):
    """Rows whose label is drawn first (shifted prior), then ``x`` given ``y``."""
    if classification:
        positive_rate = 1.0 / (1.0 + np.exp(strength))
        y = (rng.random(n) < positive_rate).astype(np.int64)
        centre = 2.0 * y - 1.0
    else:
        y = strength + rng.standard_normal(n)
        centre = y
    X = np.sqrt(1.0 + noise**2) * rng.standard_normal((n, n_features))
    X[:, 0] += centre
    return X, y


_SAMPLERS = {
    "covariate": _sample_covariate,
    "label": _sample_label,
    "concept": _sample_concept,
}
