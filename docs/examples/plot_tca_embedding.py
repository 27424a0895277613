"""
Transfer component analysis: source and target before and after
=================================================================

Three features. The first carries the class in both domains. The second
carries it only in the source (it is a shortcut there) and in the target it is
shifted and unrelated to the class. The third is noise. A classifier trained on
the source leans on the shortcut and fails on the target.

Transfer component analysis (Pan et al., 2011) uses the rows of both domains,
and no target labels, to find components along which the domains' means match
while the rows keep their variance. The left panel shows the rows as given; the
right panel shows them on TCA's two components (a linear kernel, as the shift
here is a translation): TCA keeps the directions where the domains' means agree
(the first and third features) and drops the shortcut. Each panel's title
gives the target accuracy of a logistic regression trained on the source rows
of that panel.

Run: ``python docs/examples/plot_tca_embedding.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from sktransfer import TransferComponentAnalysis, stack_domains

rng = np.random.RandomState(0)
n = 300
y_source, y_target = rng.randint(2, size=n), rng.randint(2, size=n)
X_source = np.c_[
    2 * y_source - 1 + rng.normal(0, 1, n),
    2 * (2 * y_source - 1) + rng.normal(0, 0.5, n),
    rng.normal(0, 1.5, n),
]
X_target = np.c_[
    2 * y_target - 1 + rng.normal(0, 1, n),
    4 + rng.normal(0, 0.5, n),
    rng.normal(0, 1.5, n),
]

X, y, sample_domain = stack_domains(
    source=(X_source, y_source), target=(X_target, None)
)
tca = TransferComponentAnalysis(n_components=2, kernel="linear")
embedded = tca.fit_transform(X, sample_domain=sample_domain)
is_source = sample_domain >= 0


def target_accuracy(features_source, features_target):
    model = LogisticRegression().fit(features_source, y_source)
    return model.score(features_target, y_target)


panels = [
    (
        "as given (features 0 and 1 of 3)",
        X,
        target_accuracy(X_source, X_target),
        ("feature 0", "feature 1"),
    ),
    (
        "after TCA",
        embedded,
        target_accuracy(embedded[is_source], embedded[~is_source]),
        ("component 1", "component 2"),
    ),
]
figure, axes = plt.subplots(1, 2, figsize=(11, 4.8))
for axis, (title, rows, accuracy, labels) in zip(axes, panels):
    for domain, marker, mask, classes in [
        ("source", "o", is_source, y_source),
        ("target", "^", ~is_source, y_target),
    ]:
        for label, colour in [(0, "tab:blue"), (1, "tab:orange")]:
            chosen = rows[mask][classes == label]
            axis.scatter(
                chosen[:, 0],
                chosen[:, 1],
                s=12,
                marker=marker,
                c=colour,
                alpha=0.55 if domain == "source" else 0.9,
                label=f"{domain}, class {label}",
            )
    axis.set_title(f"{title}: target accuracy {accuracy:.2f}")
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
axes[0].legend(loc="lower right", fontsize=8)
figure.suptitle(
    "A source-only shortcut (feature 1) removed by TCA; target labels used only "
    "for the accuracy"
)
figure.tight_layout()
print(f"target accuracy: {panels[0][2]:.3f} as given, {panels[1][2]:.3f} after TCA")

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=110)
else:
    plt.show()
