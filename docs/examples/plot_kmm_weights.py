"""
Kernel mean matching: weights against the true density ratio
=============================================================

A regression under covariate shift, in one dimension so that everything can be
drawn. Source inputs follow N(0, 1), target inputs N(1.5, 0.4^2); the label
rule ``y = x^2 + noise`` is the same in both domains. A straight line fitted to
the source is right on average over the source and wrong where the target lives.

Kernel mean matching (Huang et al., 2006) weights the source rows so that their
weighted mean in the kernel's feature space matches the target's, using the
target inputs only (no target labels). The left panel compares the weights of
the exact and the fast solver with the true density ratio p_t(x) / p_s(x), known
here; the right panel shows the line fitted without and with the weights, and
their error on the target.

Run: ``python docs/examples/plot_kmm_weights.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.linear_model import LinearRegression

from sktransfer import KernelMeanMatching, stack_domains
from sktransfer.instance import kmm_weights

rng = np.random.RandomState(0)
X_source = rng.normal(0.0, 1.0, size=(400, 1))
X_target = rng.normal(1.5, 0.4, size=(300, 1))


def truth(X):
    return X[:, 0] ** 2


y_source = truth(X_source) + rng.normal(0, 0.1, size=400)
x = X_source[:, 0]
ratio = norm.pdf(x, 1.5, 0.4) / norm.pdf(x, 0.0, 1.0)

exact = kmm_weights(X_source, X_target, solver="exact", random_state=0)
fast = kmm_weights(X_source, X_target, solver="fast", n_components=50, random_state=0)

X, y, sample_domain = stack_domains(
    source=(X_source, y_source), target=(X_target, None), task="regression"
)
weighted = KernelMeanMatching(LinearRegression(), random_state=0).fit(
    X, y, sample_domain=sample_domain
)
plain = LinearRegression().fit(X_source, y_source)
errors = {
    name: np.mean((model.predict(X_target) - truth(X_target)) ** 2)
    for name, model in [("source only", plain), ("KMM", weighted)]
}

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
order = np.argsort(x)
left.plot(x[order], ratio[order], "k-", label="true ratio p_t / p_s")
left.plot(x, exact, "o", ms=3, alpha=0.6, label="KMM, exact")
left.plot(x, fast, "x", ms=3, alpha=0.6, label="KMM, fast (50 landmarks)")
left.set_xlabel("x")
left.set_ylabel("weight")
left.set_yscale("symlog", linthresh=0.1)
left.legend()
left.set_title("Source weights")

grid = np.linspace(-3, 3, 200)[:, None]
right.scatter(x, y_source, s=4, c="grey", alpha=0.4, label="source rows")
right.hist(
    X_target[:, 0], bins=30, density=True, alpha=0.3, bottom=-1, label="target inputs"
)
right.plot(grid, truth(grid), "k--", label="truth")
for name, model in [("source only", plain), ("KMM", weighted)]:
    right.plot(
        grid, model.predict(grid), label=f"{name} (target MSE {errors[name]:.2f})"
    )
right.set_ylim(-1.5, 9)
right.set_xlabel("x")
right.legend(fontsize=8)
right.set_title("Line fitted on the source")
figure.tight_layout()

print("target MSE:", ", ".join(f"{name} {mse:.3f}" for name, mse in errors.items()))

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
