"""Fitting code of the kernel density-ratio estimators (uLSIF, RuLSIF, KLIEP).

The ratio model is ``r(x) = sum_l theta_l k(x, c_l)`` with a Gaussian kernel
``k`` centred at rows ``c_l`` of the target. Everything here works on the
``n x n_centers`` design blocks ``Phi[i, l] = k(x_i, c_l)``, computed
``_BLOCK_ROWS`` rows at a time where only their moments are needed, so memory
stays linear in the rows.

- :func:`lsif_theta` and :func:`lsif_loo_scores`: the least-squares fit
  ``theta = max(0, (H + lambda I)^-1 h)`` and its leave-one-out score in closed
  form (Kanamori, Hido & Sugiyama 2009), generalised to the relative ratio of
  Yamada et al. (2013), whose ``H`` mixes both domains, by a rank-2
  Woodbury update per left-out pair.
- :func:`kliep_theta`: the KLIEP likelihood maximisation (Sugiyama et al.
  2008) over ``{theta >= 0, mean_source(Phi theta) = 1}``.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.utils import gen_batches

# Rows of X per design block: a block is _BLOCK_ROWS x n_centers floats.
_BLOCK_ROWS = 4096


def design(X, centers, gamma):
    """``Phi[i, l] = exp(-gamma |x_i - c_l|^2)`` (dense, ``n x n_centers``)."""
    return rbf_kernel(X, centers, gamma=gamma)


def _blocks(X, centers, gamma):
    for rows in gen_batches(X.shape[0], _BLOCK_ROWS):
        yield rows, design(X[rows], centers, gamma)


def design_moments(X, centers, gamma, *, second=True):
    """``mean_i Phi[i]`` and (with ``second``) ``mean_i Phi[i] Phi[i]'``, by blocks."""
    n_centers = centers.shape[0]
    first = np.zeros(n_centers)
    gram = np.zeros((n_centers, n_centers)) if second else None
    for _, block in _blocks(X, centers, gamma):
        first += block.sum(axis=0)
        if second:
            gram += block.T @ block
    n_rows = X.shape[0]
    return first / n_rows, (gram / n_rows if second else None)


def evaluate(X, centers, gamma, theta):
    """``Phi(X) theta``, by blocks of rows."""
    values = np.empty(X.shape[0])
    for rows, block in _blocks(X, centers, gamma):
        values[rows] = block @ theta
    return values


def lsif_matrix(H_source, H_target, alpha):
    """``(1 - alpha) H_source + alpha H_target`` (``H_source`` alone at alpha=0)."""
    if alpha == 0:
        return H_source
    return (1 - alpha) * H_source + alpha * H_target


def lsif_theta(H, h, lam):
    """``max(0, (H + lam I)^-1 h)`` and the unclipped solution."""
    raw = np.linalg.solve(H + lam * np.eye(H.shape[0]), h)
    return np.maximum(raw, 0.0), raw


def lsif_loss(ratio_source, ratio_target, alpha):
    """The relative Pearson loss ``(1-a)/2 E_s r^2 + a/2 E_t r^2 - E_t r``."""
    return (
        (1 - alpha) / 2 * np.mean(ratio_source**2)
        + alpha / 2 * np.mean(ratio_target**2)
        - np.mean(ratio_target)
    )


def lsif_loo_scores(
    Phi_pairs, Psi_pairs, H_source, H_target, h, n_source, n_target, alpha, lambdas
):
    """Leave-one-out loss of the (relative) least-squares fit, for each lambda.

    Pair ``i`` is the source row with design ``Phi_pairs[i]`` and the target row
    with design ``Psi_pairs[i]``; leaving it out gives the moments
    ``H_-i = (1-a) (n_s H_s - phi phi') / (n_s - 1) + a (n_t H_t - psi psi')
    / (n_t - 1)`` and ``h_-i = (n_t h - psi) / (n_t - 1)``, the fit
    ``theta_-i = max(0, (H_-i + lam I)^-1 h_-i)`` and the held-out loss
    ``(1-a)/2 (phi' theta_-i)^2 + a/2 (psi' theta_-i)^2 - psi' theta_-i``.
    ``H_-i + lam I = A - U C U'`` with ``A`` shared by all pairs,
    ``U = [phi, psi]`` and ``C = diag((1-a)/(n_s-1), a/(n_t-1))``, so each
    solve is ``A``'s plus a 2 x 2 Woodbury correction (Kanamori et al.'s
    rank-1 formula when ``a = 0``). ``A = B + lam I`` for every lambda, so
    one eigendecomposition of ``B`` gives all of them.

    Returns
    -------
    scores : ndarray of shape (len(lambdas),)
        The mean held-out loss (lower is better).
    """
    c_source = (1 - alpha) / (n_source - 1)
    c_target = alpha / (n_target - 1)
    base = (1 - alpha) * n_source / (n_source - 1) * H_source
    if alpha > 0:
        base = base + alpha * n_target / (n_target - 1) * H_target
    # One eigendecomposition serves every lambda: A^-1 = V diag(1/(e+lam)) V',
    # so the quadratic forms below are weighted sums over the eigenbasis.
    eigenvalues, V = np.linalg.eigh(base)
    Zp, Zq, zh = Phi_pairs @ V, Psi_pairs @ V, V.T @ h
    # In the eigenbasis, before the 1/(e+lam) scaling: A h_-i's numerator.
    Zg = (n_target * zh[None, :] - Zq) / (n_target - 1)
    scores = np.empty(len(lambdas))
    for k, lam in enumerate(lambdas):
        d = 1.0 / (eigenvalues + lam)
        # U' A^-1 U per pair, as its four entries, and U' A^-1 h_-i.
        pp, pq, qq = (Zp * Zp) @ d, (Zp * Zq) @ d, (Zq * Zq) @ d
        u_g = np.stack([(Zp * Zg) @ d, (Zq * Zg) @ d], axis=1)
        # M = I - (U' A^-1 U) C; theta_-i = A^-1 (h_-i + U C M^-1 U' A^-1 h_-i).
        M = np.empty((len(pp), 2, 2))
        M[:, 0, 0] = 1 - pp * c_source
        M[:, 0, 1] = -pq * c_target
        M[:, 1, 0] = -pq * c_source
        M[:, 1, 1] = 1 - qq * c_target
        coef = np.linalg.solve(M, u_g[:, :, None])[:, :, 0]
        inner = Zg + Zp * (c_source * coef[:, :1]) + Zq * (c_target * coef[:, 1:])
        theta = np.maximum((inner * d) @ V.T, 0.0)
        ratio_source = np.einsum("ij,ij->i", Phi_pairs, theta)
        ratio_target = np.einsum("ij,ij->i", Psi_pairs, theta)
        scores[k] = lsif_loss(ratio_source, ratio_target, alpha)
    return scores


@dataclass
class KLIEPSolution:
    theta: np.ndarray
    objective: float
    gap: float
    n_iter: int
    converged: bool


def kliep_objective(Psi, theta):
    """``mean_j log(Psi[j] theta)`` (``-inf`` where a ratio is 0)."""
    with np.errstate(divide="ignore"):
        return float(np.mean(np.log(Psi @ theta)))


def kliep_theta(Psi, b, *, tol, max_iter):
    """Maximise ``mean_j log(Psi[j] theta)`` over ``theta >= 0, b' theta = 1``.

    With ``beta_l = b_l theta_l`` the feasible set is the probability simplex
    and the problem is the maximum-likelihood mixture weights of the
    components ``M[:, l] = Psi[:, l] / b_l``: a concave problem in
    ``n_centers`` variables. It is solved by a log-barrier interior-point
    method (Boyd & Vandenberghe 2004, section 11.3): Newton steps on
    ``-f(beta) - mu sum(log beta)`` under ``sum(beta) = 1``, ``mu`` divided by
    10 once a step's Newton decrement is small. The certificate is the
    Frank-Wolfe gap ``max(grad) - beta' grad`` (``beta' grad = 1``), which
    bounds the objective's distance from its maximum; the loop stops once it
    is at most ``tol``. Centres with ``b_l = 0`` (no source mass, where the
    likelihood would be unbounded) keep ``theta_l = 0``.
    """
    usable = b > np.finfo(float).tiny
    M = Psi[:, usable] / b[usable]
    n_rows, n_vars = M.shape
    beta = np.full(n_vars, 1.0 / n_vars)
    mu = 1.0 / n_vars
    # At a centred point the gap is at most n_vars * mu, so mu need not go
    # below this; a smaller one only makes the Hessian singular.
    smallest_mu = tol / (2 * n_vars)
    gap, converged, n_iter = np.inf, False, 0
    ones = np.ones(n_vars)
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        fitted = M @ beta
        grad = M.T @ (1.0 / fitted) / n_rows
        gap = float(grad.max() - beta @ grad)
        if gap <= tol:
            converged = True
            break
        weighted = M / fitted[:, None]
        hessian = weighted.T @ weighted / n_rows + np.diag(mu / beta**2)
        gradient = -grad - mu / beta
        solved = np.linalg.solve(hessian, np.column_stack([gradient, ones]))
        nu = -solved[:, 0].sum() / solved[:, 1].sum()
        step = -(solved[:, 0] + nu * solved[:, 1])
        decrement = float(-gradient @ step)
        beta, moved = _barrier_line_search(M, beta, step, mu, gradient @ step)
        # Centred (or as close as float64 allows): follow the central path.
        if decrement < 1e-6 or not moved:
            if not moved and mu == smallest_mu:
                break
            mu = max(mu / 10, smallest_mu)
    theta = np.zeros(b.shape[0])
    theta[usable] = beta / b[usable]
    return KLIEPSolution(theta, kliep_objective(Psi, theta), gap, n_iter, converged)


def _barrier_objective(M, beta, mu):
    return -np.mean(np.log(M @ beta)) - mu * np.log(beta).sum()


def _barrier_line_search(M, beta, step, mu, slope):
    """Backtracking (Armijo) along ``step``, staying inside ``beta > 0``; whether
    a step was taken."""
    shrinking = step < 0
    t = 1.0
    if shrinking.any():
        t = min(1.0, 0.99 * float(np.min(-beta[shrinking] / step[shrinking])))
    current = _barrier_objective(M, beta, mu)
    for _ in range(60):
        candidate = beta + t * step
        with np.errstate(divide="ignore", invalid="ignore"):
            value = _barrier_objective(M, candidate, mu)
        if np.isfinite(value) and value <= current + 0.25 * t * slope:
            return candidate / candidate.sum(), True
        t /= 2
    return beta, False
