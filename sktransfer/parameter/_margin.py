"""Gradient boosting that starts from a given margin (Friedman, 2001).

The solver behind :mod:`sktransfer.parameter._boosting`: regression trees
fitted to the negative gradient of the loss at the current margin, which
starts at the source model's margin instead of a constant. Log-loss leaves
take one Newton step (Friedman's TreeBoost), squared-error leaves the mean
residual the tree already holds.
"""

import numpy as np
from scipy.special import expit, softmax
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import check_random_state

# Below this hessian sum a leaf takes no step (a leaf of rows already sure).
_TINY_HESSIAN = 1e-150


def margin_loss(*, loss, y, margin, sample_weight):
    """Weighted mean loss at ``margin`` (n, K): log-loss or half squared error.

    ``y`` holds class indices for log-loss, values for squared error.
    """
    if loss == "squared_error":
        return np.average(0.5 * (y - margin[:, 0]) ** 2, weights=sample_weight)
    if margin.shape[1] == 1:
        raw = margin[:, 0]
        # log(1 + exp(raw)) - y raw, computed stably.
        losses = np.logaddexp(0.0, raw) - y * raw
    else:
        log_norm = np.logaddexp.reduce(margin, axis=1)
        losses = log_norm - margin[np.arange(y.shape[0]), y]
    return np.average(losses, weights=sample_weight)


def _gradient_targets(loss, y, margin):
    """Negative gradients (n, K) and hessians (n, K) at ``margin``."""
    if loss == "squared_error":
        residual = y[:, None] - margin
        return residual, np.ones_like(residual)
    if margin.shape[1] == 1:
        proba = expit(margin)
        return y[:, None] - proba, proba * (1.0 - proba)
    proba = softmax(margin, axis=1)
    one_hot = np.zeros_like(proba)
    one_hot[np.arange(y.shape[0]), y] = 1.0
    return one_hot - proba, proba * (1.0 - proba)


def _newton_leaves(tree, X, gradient, hessian, weight, scale, l2_regularization):
    """Set each leaf of ``tree`` to ``scale * sum(w g) / (sum(w h) + l2)``.

    The sums run over the leaf's rows. Without ``l2`` a leaf of rows the
    source margin is sure of (hessian near 0) but gets wrong would take a
    huge step: the starting margin here is a fitted model's, often saturated.
    """
    leaves = tree.apply(X)
    n_nodes = tree.tree_.node_count
    numerator = np.bincount(leaves, weights=weight * gradient, minlength=n_nodes)
    denominator = np.bincount(leaves, weights=weight * hessian, minlength=n_nodes)
    steps = np.zeros(n_nodes)
    denominator += l2_regularization
    sure = denominator > _TINY_HESSIAN
    steps[sure] = scale * numerator[sure] / denominator[sure]
    is_leaf = tree.tree_.children_left == -1
    # sklearn's own gradient boosting writes its leaf values the same way.
    tree.tree_.value[is_leaf, 0, 0] = steps[is_leaf]


def boost_from_margin(
    *,
    X,
    y,
    margin,
    sample_weight,
    loss,
    n_estimators,
    learning_rate,
    max_depth,
    min_samples_leaf,
    subsample,
    l2_regularization,
    validation,
    n_iter_no_change,
    tol,
    random_state,
):
    """Boost regression trees from ``margin`` (n, K) towards ``y``.

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
        Training rows (numeric, NaN allowed).
    y : ndarray of shape (n,)
        Class indices (log-loss) or values (squared error).
    margin : ndarray of shape (n, K)
        Starting margin of the training rows; K is 1 for a binary log-loss
        or squared error, the number of classes for a multinomial log-loss.
    sample_weight : ndarray of shape (n,)
        Row weights.
    loss : {"log_loss", "squared_error"}
        Loss minimised.
    n_estimators, learning_rate, max_depth, min_samples_leaf, subsample
        As the estimator's parameters.
    l2_regularization : float
        Added to each leaf's hessian sum (log-loss only), as XGBoost's
        ``lambda``.
    validation : tuple (X, y, margin, sample_weight) or None
        Held-out rows monitored for early stopping.
    n_iter_no_change : int or None
        Stop when the validation loss has not improved by ``tol`` for this
        many rounds; the rounds up to the best validation loss are kept.
    tol : float
        Smallest improvement that counts.
    random_state : RandomState instance
        Seeds the subsamples and the trees.

    Returns
    -------
    trees : list of list of DecisionTreeRegressor
        One list of K trees per round kept; each tree predicts its step
        (shrinkage included).
    train_loss : ndarray of shape (n_rounds + 1,)
        Training loss at the start and after each round kept.
    validation_loss : ndarray of shape (n_rounds + 1,) or None
        The same on the validation rows.
    """
    rng = check_random_state(random_state)
    margin = margin.copy()
    n_samples, n_outputs = margin.shape
    n_in_bag = max(1, int(round(subsample * n_samples)))
    trees = []
    train_loss = [
        margin_loss(loss=loss, y=y, margin=margin, sample_weight=sample_weight)
    ]
    if validation is not None:
        X_val, y_val, margin_val, weight_val = validation
        margin_val = margin_val.copy()
        validation_loss = [
            margin_loss(loss=loss, y=y_val, margin=margin_val, sample_weight=weight_val)
        ]
    for _ in range(n_estimators):
        gradient, hessian = _gradient_targets(loss, y, margin)
        rows = np.arange(n_samples)
        if n_in_bag < n_samples:
            rows = np.sort(rng.choice(n_samples, n_in_bag, replace=False))
        round_trees = []
        for k in range(n_outputs):
            tree = DecisionTreeRegressor(
                criterion="squared_error",
                max_depth=max_depth,
                min_samples_leaf=min_samples_leaf,
                random_state=rng.randint(np.iinfo(np.int32).max),
            )
            tree.fit(X[rows], gradient[rows, k], sample_weight=sample_weight[rows])
            if loss == "log_loss":
                # Friedman's (K - 1) / K factor for the multinomial Newton step.
                factor = 1.0 if n_outputs == 1 else (n_outputs - 1) / n_outputs
                _newton_leaves(
                    tree,
                    X[rows],
                    gradient[rows, k],
                    hessian[rows, k],
                    sample_weight[rows],
                    learning_rate * factor,
                    l2_regularization,
                )
            else:
                tree.tree_.value[:, 0, 0] *= learning_rate
            round_trees.append(tree)
            margin[:, k] += tree.predict(X)
            if validation is not None:
                margin_val[:, k] += tree.predict(X_val)
        trees.append(round_trees)
        train_loss.append(
            margin_loss(loss=loss, y=y, margin=margin, sample_weight=sample_weight)
        )
        if validation is None:
            continue
        validation_loss.append(
            margin_loss(loss=loss, y=y_val, margin=margin_val, sample_weight=weight_val)
        )
        if _no_recent_improvement(validation_loss, n_iter_no_change, tol):
            break
    if validation is None:
        return trees, np.asarray(train_loss), None
    best = int(np.argmin(validation_loss))
    return trees[:best], np.asarray(train_loss[: best + 1]), np.asarray(validation_loss)


def _no_recent_improvement(losses, n_iter_no_change, tol):
    """Whether the last ``n_iter_no_change`` losses miss the earlier best by ``tol``."""
    if len(losses) <= n_iter_no_change:
        return False
    best_before = min(losses[:-n_iter_no_change])
    return min(losses[-n_iter_no_change:]) > best_before - tol
