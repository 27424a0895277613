"""
Density ratios and class priors: estimated against the truth
=============================================================

Two kinds of shift, each with a known answer.

**Covariate shift** (left): source inputs follow N(0, 1), target inputs
N(1, 0.6^2), so the true density ratio p_t(x) / p_s(x) is known in closed
form. uLSIF and KLIEP model it as a sum of Gaussian kernels centred at target
rows, and :class:`~sktransfer.DiscriminativeReweighting` as the odds of a
domain classifier; each is drawn against the truth at the source rows.
Plotted on a log scale: a weight far in the source's left tail, where the
target has no mass, should be near zero, and all three are.

**Label shift** (right): the class-conditional laws p(x | y) are the same in
both domains and only the class priors move (fraud is rarer in one market
than in another). The source is balanced; the target is resampled to a known
share of positives, from 2 % to 60 %. :class:`~sktransfer.LabelShiftAdapter`
estimates that share from the unlabeled target rows alone (EM of Saerens et
al. 2002 and black-box shift estimation of Lipton et al. 2018), with a 90 %
bootstrap interval; the diagonal is a perfect estimate.

Run: ``python docs/examples/plot_density_ratio_and_label_shift.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from sktransfer import DiscriminativeReweighting, LabelShiftAdapter, stack_domains
from sktransfer.instance import kliep_weights, ulsif_weights

rng = np.random.RandomState(0)

# -- covariate shift: the density ratio ------------------------------------------

X_source = rng.normal(0.0, 1.0, size=(1000, 1))
X_target = rng.normal(1.0, 0.6, size=(500, 1))
x = X_source[:, 0]
true_ratio = norm.pdf(x, 1.0, 0.6) / norm.pdf(x, 0.0, 1.0)

# A quadratic log-odds is the right model for two Gaussians of different widths.
features = np.hstack([X_source, X_source**2])
target_features = np.hstack([X_target, X_target**2])
y_source = (x + rng.normal(0, 0.5, 1000) > 0).astype(int)
X, y, sample_domain = stack_domains(
    source=(features, y_source), target=(target_features, None)
)
discriminative = DiscriminativeReweighting(random_state=0).fit(
    X, y, sample_domain=sample_domain
)
estimates = {
    "uLSIF": ulsif_weights(X_source, X_target, random_state=0),
    "KLIEP": kliep_weights(X_source, X_target, random_state=0),
    # Its weights are normalised to mean 1; the true ratio's mean over the
    # source rows is about 1 too (the expectation of p_t / p_s under p_s).
    "domain classifier": discriminative.weights_,
}

# -- label shift: the target priors --------------------------------------------------


def draw(n, prior):
    labels = (rng.uniform(size=n) < prior).astype(int)
    return rng.normal(np.where(labels == 1, 1.2, -1.2), 1.0)[:, None], labels


X_s, y_s = draw(3000, 0.5)
true_priors = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6])
priors = {"em": [], "bbse": []}
for prior in true_priors:
    X_t, _ = draw(2000, prior)
    X_ls, y_ls, domain_ls = stack_domains(source=(X_s, y_s), target=(X_t, None))
    for method in priors:
        adapter = LabelShiftAdapter(
            LogisticRegression(), method=method, n_bootstrap=200, random_state=0
        ).fit(X_ls, y_ls, sample_domain=domain_ls)
        interval = adapter.target_priors_interval_[:, 1]
        priors[method].append((adapter.target_priors_[1], *interval))

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
order = np.argsort(x)
left.plot(x[order], true_ratio[order], "k-", lw=2, label="true ratio")
for (name, weights), marker in zip(estimates.items(), "o^s"):
    correlation = np.corrcoef(weights, true_ratio)[0, 1]
    left.plot(
        x, weights, marker, ms=2.5, alpha=0.5, label=f"{name} (corr {correlation:.3f})"
    )
left.set_yscale("log")
left.set_ylim(1e-4, 20)
left.set_xlabel("x (source rows)")
left.set_ylabel("weight p_t(x) / p_s(x)")
left.set_title("Covariate shift: density ratio")
left.legend(fontsize=8)

right.plot([0, 0.65], [0, 0.65], "k--", lw=1, label="perfect")
for (method, values), shift in zip(priors.items(), (-0.004, 0.004)):
    values = np.asarray(values)
    right.errorbar(
        true_priors + shift,
        values[:, 0],
        yerr=[values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]],
        fmt="o",
        capsize=3,
        label=f"{method.upper()} (90 % bootstrap interval)",
    )
right.set_xlabel("true target share of positives")
right.set_ylabel("estimated share")
right.set_title("Label shift: target prior (source prior 0.5)")
right.legend(fontsize=8)
figure.tight_layout()

for name, weights in estimates.items():
    correlation = np.corrcoef(weights, true_ratio)[0, 1]
    print(f"{name}: correlation with the true ratio {correlation:.3f}")
for method, values in priors.items():
    errors = np.abs(np.asarray(values)[:, 0] - true_priors)
    print(f"{method}: largest prior error {errors.max():.3f}")

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
