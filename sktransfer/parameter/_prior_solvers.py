"""Solvers of the linear models pulled towards prior (source) weights.

Both minimise a loss over the rows plus ``strength * |theta - theta_0|^2``,
where ``theta`` stacks the weights and, when fitted, the intercept. The
callers validate their inputs; these functions trust them.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.optimize import minimize
from scipy.sparse.linalg import LinearOperator, cg
from scipy.special import expit, log_expit, logsumexp, softmax

# Above this many unknowns the ridge normal equations are solved by
# conjugate gradients instead of being formed (a dense Gram of 4096^2 floats
# is 128 MiB).
MAX_DIRECT_UNKNOWNS = 4096


@dataclass
class PriorFit:
    """What a prior-regularised solver returns.

    ``coef`` has shape (n_outputs, n_features), ``intercept`` (n_outputs,);
    ``converged`` and ``message`` report the solver's status, ``n_iter``
    its iterations (0 for a direct solve).
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    message: str


def _the_prior(prior_coef, prior_intercept):
    """The solution at ``strength=inf``: the prior itself, nothing solved."""
    return PriorFit(prior_coef.copy(), prior_intercept.copy(), 0, True, "prior")


def _unpack(theta, n_outputs, n_features, fit_intercept):
    coef = theta[: n_outputs * n_features].reshape(n_outputs, n_features)
    if fit_intercept:
        return coef, theta[n_outputs * n_features :]
    return coef, np.zeros(n_outputs)


def _logistic_loss_and_residual(margins, Y, binary):
    """Per-row log-loss and its gradient with respect to the margins."""
    if binary:
        signs = np.where(Y[:, 0] > 0, 1.0, -1.0)
        loss = -log_expit(signs * margins[:, 0])
        residual = (-signs * expit(-signs * margins[:, 0]))[:, None]
        return loss, residual
    loss = logsumexp(margins, axis=1) - np.sum(Y * margins, axis=1)
    return loss, softmax(margins, axis=1) - Y


def prior_logistic(
    X,
    Y,
    sample_weight,
    prior_coef,
    prior_intercept,
    *,
    C,
    strength,
    fit_intercept=True,
    tol=1e-6,
    max_iter=1000,
):
    """Logistic regression pulled towards prior weights, by L-BFGS.

    Minimises, divided by the sum of the weights ``s``::

        sum_i s_i loss_i + |W|^2 / (2 C) + strength (|W - W0|^2 + |b - b0|^2)

    with the binary log-loss when ``Y`` has one column (1 marks the
    positive class) and the multinomial one when ``Y`` is one-hot with
    ``K >= 3`` columns. ``strength=0`` is scikit-learn's L2
    ``LogisticRegression`` (intercept unpenalised); ``strength=inf`` returns
    the prior itself.

    Parameters
    ----------
    X : {ndarray, CSR matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        One column of 0/1 for two classes, one-hot columns for more.
    sample_weight : ndarray of shape (n_samples,)
    prior_coef : ndarray of shape (n_outputs, n_features)
    prior_intercept : ndarray of shape (n_outputs,)
    C : float
        Inverse L2 strength, > 0.
    strength : float
        Pull towards the prior, >= 0 (inf allowed).
    fit_intercept : bool, default=True
        When False the intercept is 0 and not pulled.
    tol : float, default=1e-6
        L-BFGS-B's tolerance on the projected gradient (``gtol``).
    max_iter : int, default=1000
        Most L-BFGS iterations.

    Returns
    -------
    PriorFit
    """
    n_outputs, n_features = prior_coef.shape
    if not fit_intercept:
        prior_intercept = np.zeros(n_outputs)
    if np.isinf(strength):
        return _the_prior(prior_coef, prior_intercept)
    binary = Y.shape[1] == 1
    total_weight = sample_weight.sum()
    prior = np.concatenate(
        [prior_coef.ravel(), prior_intercept if fit_intercept else []]
    )

    def objective(theta):
        coef, intercept = _unpack(theta, n_outputs, n_features, fit_intercept)
        margins = np.asarray(X @ coef.T) + intercept
        loss, residual = _logistic_loss_and_residual(margins, Y, binary)
        residual = residual * sample_weight[:, None]
        pull = theta - prior
        value = sample_weight @ loss + (coef.ravel() @ coef.ravel()) / (2 * C)
        value += strength * (pull @ pull)
        grad_coef = np.asarray(X.T @ residual).T + coef / C
        grad = [grad_coef.ravel()]
        if fit_intercept:
            grad.append(residual.sum(axis=0))
        grad = np.concatenate(grad) + 2 * strength * pull
        return value / total_weight, grad / total_weight

    start = prior if strength > 0 else np.zeros_like(prior)
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        options={
            "maxiter": max_iter,
            "maxfun": 10 * max_iter + 100,
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    coef, intercept = _unpack(result.x, n_outputs, n_features, fit_intercept)
    converged, message = _lbfgs_status(
        result, lambda: np.abs(objective(start)[1]).max(), tol
    )
    return PriorFit(coef.copy(), intercept.copy(), int(result.nit), converged, message)


def _lbfgs_status(result, start_gradient, tol):
    """Whether L-BFGS-B reached the optimum, and what it said.

    ``start_gradient()`` gives the largest gradient at the start; it is
    evaluated (one more pass over the rows) only when L-BFGS-B reports a
    failure.

    With a strong pull the objective is steep, and the line search can fail
    ("ABNORMAL") at a point whose gradient is already ``tol`` times smaller
    than at the start: that is converged, to machine precision. Running out
    of iterations is not.
    """
    message = result.message
    if isinstance(message, bytes):
        message = message.decode()
    if result.success:
        return True, message
    gradient = np.abs(result.jac).max()
    said = message.rstrip(": ") or "stopped"
    if result.status == 1:  # out of iterations
        return False, f"{said}, largest gradient {gradient:.1e}"
    at_start = start_gradient()
    if gradient <= tol * max(1.0, at_start):
        return True, f"{said} at gradient {gradient:.1e} (at start {at_start:.1e})"
    return False, f"{said}, largest gradient {gradient:.1e}"


def _design(X, fit_intercept):
    """``[X | 1]`` as an operator: products with it and its transpose."""
    n_samples = X.shape[0]

    def apply(theta):
        out = X @ theta[: X.shape[1]]
        return out + theta[-1] if fit_intercept else out

    def apply_transpose(r):
        out = X.T @ r
        return np.append(out, r.sum()) if fit_intercept else out

    return n_samples, apply, apply_transpose


def _ridge_direct(X, Y, sample_weight, prior, alpha, strength, fit_intercept):
    """Normal equations, the columns centred so the system is well conditioned.

    In centred coordinates ``theta_c = (w, b + mean . w)`` the weighted Gram
    is block diagonal; the pull on the uncentred ``(w, b)`` becomes
    ``strength |M theta_c - theta_0|^2`` with ``M`` the change of variables.
    """
    n_features = X.shape[1]
    total = sample_weight.sum()
    mean = np.asarray(sample_weight @ X).ravel() / total if fit_intercept else None
    weighted = (
        X.multiply(sample_weight[:, None]).tocsr()
        if sp.issparse(X)
        else (X * sample_weight[:, None])
    )
    gram = np.asarray((X.T @ weighted).toarray() if sp.issparse(X) else X.T @ weighted)
    rhs = np.asarray(weighted.T @ Y)
    ridge = (alpha + strength) * np.eye(n_features)
    if not fit_intercept:
        return linalg.solve(gram + ridge, rhs + strength * prior, assume_a="pos")
    gram_centred = gram - total * np.outer(mean, mean)
    n_unknowns = n_features + 1
    system = np.zeros((n_unknowns, n_unknowns))
    system[:n_features, :n_features] = gram_centred + alpha * np.eye(n_features)
    system[-1, -1] = total
    change = np.eye(n_unknowns)
    change[-1, :n_features] = -mean
    system += strength * change.T @ change
    y_mean = sample_weight @ Y / total
    rhs_centred = np.vstack([rhs - total * np.outer(mean, y_mean), total * y_mean])
    theta_centred = linalg.solve(
        system, rhs_centred + strength * change.T @ prior, assume_a="pos"
    )
    return change @ theta_centred


def _ridge_dual(X, Y, sample_weight, prior, alpha, strength, fit_intercept):
    """The normal equations through the rows, for fewer rows than unknowns.

    The two penalties on ``w`` add up to ``(alpha + strength) |w - m|^2``
    plus a constant, ``m = strength w0 / (alpha + strength)``; with ``D`` the
    diagonal of the penalties and ``A = [X | 1]``, the solution is
    ``m + D^-1 A^T (S^-1 + A D^-1 A^T)^-1 (y - A m)``, an n-by-n solve. Rows
    of zero weight carry nothing and are dropped first (``S^-1``).
    """
    keep = sample_weight > 0
    X, Y, sample_weight = X[keep], Y[keep], sample_weight[keep]
    n_features = X.shape[1]
    inverse_penalty = np.full(prior.shape[0], 1.0 / (alpha + strength))
    centre = prior * (strength / (alpha + strength))
    if fit_intercept:
        inverse_penalty[-1] = 1.0 / strength
        centre[-1] = prior[-1]
    scaled = (
        X.multiply(inverse_penalty[:n_features]).tocsr()
        if sp.issparse(X)
        else (X * inverse_penalty[:n_features])
    )
    gram = X @ scaled.T
    gram = np.asarray(gram.toarray() if sp.issparse(gram) else gram)
    if fit_intercept:
        gram = gram + inverse_penalty[-1]
    gram[np.diag_indices_from(gram)] += 1.0 / sample_weight
    fitted = np.asarray(X @ centre[:n_features])
    if fit_intercept:
        fitted = fitted + centre[-1]
    dual = linalg.solve(gram, Y - fitted, assume_a="pos")
    step = np.asarray(scaled.T @ dual)
    if fit_intercept:
        step = np.vstack([step, inverse_penalty[-1] * dual.sum(axis=0)])
    return centre + step


def _ridge_conjugate_gradients(
    X, Y, sample_weight, prior, penalty, strength, fit_intercept, tol, max_iter
):
    n_samples, apply, apply_transpose = _design(X, fit_intercept)
    n_unknowns = prior.shape[0]
    operator = LinearOperator(
        (n_unknowns, n_unknowns),
        matvec=lambda v: (
            apply_transpose(sample_weight * apply(v.ravel())) + penalty * v.ravel()
        ),
        dtype=np.float64,
    )
    # Jacobi preconditioning: the columns of X may be of very different scales.
    diagonal = (
        penalty
        + np.append(
            np.asarray((X.multiply(X) if sp.issparse(X) else X**2).T @ sample_weight),
            [sample_weight.sum()] if fit_intercept else [],
        ).ravel()
    )
    preconditioner = LinearOperator(
        (n_unknowns, n_unknowns), matvec=lambda v: v.ravel() / diagonal
    )
    solution = np.empty_like(prior)
    n_iter, failures = 0, []
    for k in range(Y.shape[1]):
        rhs = apply_transpose(sample_weight * Y[:, k]) + strength * prior[:, k]
        steps = []
        solution[:, k], info = cg(
            operator,
            rhs,
            x0=prior[:, k],
            rtol=tol,
            maxiter=max_iter,
            M=preconditioner,
            callback=steps.append,
        )
        n_iter = max(n_iter, len(steps))
        if info != 0:
            failures.append(k)
    return solution, n_iter, failures


def prior_ridge(
    X,
    Y,
    sample_weight,
    prior_coef,
    prior_intercept,
    *,
    alpha,
    strength,
    fit_intercept=True,
    tol=1e-10,
    max_iter=None,
):
    """Ridge regression pulled towards prior weights, in closed form.

    Minimises, for each output column ``y`` of ``Y``::

        sum_i s_i (y_i - x_i w - b)^2 + alpha |w|^2
            + strength (|w - w0|^2 + (b - b0)^2)

    by the normal equations: through the rows (an n-by-n solve) when there
    are fewer rows than unknowns and every unknown is penalised; else formed
    and solved directly up to ``MAX_DIRECT_UNKNOWNS`` unknowns, by conjugate
    gradients (relative tolerance ``tol``) above. ``strength=0`` is
    scikit-learn's ``Ridge``; ``strength=inf`` returns the prior.

    Parameters
    ----------
    X : {ndarray, CSR matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    prior_coef : ndarray of shape (n_outputs, n_features)
    prior_intercept : ndarray of shape (n_outputs,)
    alpha : float
        L2 strength, >= 0.
    strength : float
        Pull towards the prior, >= 0 (inf allowed).
    fit_intercept : bool, default=True
    tol : float, default=1e-10
        Relative residual of conjugate gradients.
    max_iter : int or None, default=None
        Most conjugate-gradient iterations (None: 10 times the unknowns).

    Returns
    -------
    PriorFit
    """
    n_outputs, n_features = prior_coef.shape
    if not fit_intercept:
        prior_intercept = np.zeros(n_outputs)
    if np.isinf(strength):
        return _the_prior(prior_coef, prior_intercept)
    prior = prior_coef.T
    if fit_intercept:
        prior = np.vstack([prior, prior_intercept[None, :]])
    penalty = np.full(prior.shape[0], alpha + strength, dtype=np.float64)
    if fit_intercept:
        penalty[-1] = strength
    n_rows = np.count_nonzero(sample_weight)
    every_unknown_penalised = strength > 0 or (alpha > 0 and not fit_intercept)
    if every_unknown_penalised and n_rows < prior.shape[0]:
        theta = _ridge_dual(X, Y, sample_weight, prior, alpha, strength, fit_intercept)
        n_iter, converged, message = 0, True, "direct solve through the rows"
    elif prior.shape[0] <= MAX_DIRECT_UNKNOWNS:
        theta = _ridge_direct(
            X, Y, sample_weight, prior, alpha, strength, fit_intercept
        )
        n_iter, converged, message = 0, True, "direct solve"
    else:
        theta, n_iter, failures = _ridge_conjugate_gradients(
            X,
            Y,
            sample_weight,
            prior,
            penalty,
            strength,
            fit_intercept,
            tol,
            max_iter or 10 * prior.shape[0],
        )
        converged = not failures
        message = (
            "conjugate gradients converged"
            if converged
            else f"conjugate gradients did not converge for outputs {failures}"
        )
    coef = theta[:n_features].T
    intercept = theta[n_features] if fit_intercept else np.zeros(n_outputs)
    return PriorFit(
        np.ascontiguousarray(coef), np.asarray(intercept), n_iter, converged, message
    )
