"""
Joint distribution adaptation: matching each class, not only the domains
=========================================================================

Three classes sit on a triangle in the first two features, in both domains.
A third feature tells the classes apart too, but the other way round in the
target: class 0 is high in the source and low in the target, class 1 the
reverse. The domains' overall means agree on every feature, so transfer
component analysis, which matches only those means, sees no shift to remove;
it keeps the misleading feature, and the 1-nearest-neighbour classifier
trained on the embedded source rows falls below the raw features.

:class:`~sktransfer.feature.JointDistributionAdaptation` (Long et al. 2013)
also matches the mean of each class, with pseudo-labels for the target rows:
a 1-nearest-neighbour classifier labels them in TCA's embedding, the
components are re-solved so that each class's source and target means come
close, and the rounds repeat until the pseudo-labels settle (the printed
share changed per round). The misleading feature is the one along which the
class means disagree, so the components drop it. No target label is used.
The panels show the source (circles) and target (crosses) rows, coloured by
their true class: the raw rows in the plane of the first and the misleading
feature, then the two components of TCA and of JDA, each with the target
accuracy of the 1-nearest-neighbour classifier.

Run: ``python docs/examples/plot_joint_distribution_adaptation.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from sktransfer import TransferComponentAnalysis, stack_domains
from sktransfer.feature import JointDistributionAdaptation

rng = np.random.RandomState(0)
angles = np.radians([90, 210, 330])
centres = 2.5 * np.c_[np.cos(angles), np.sin(angles)]
misleading = np.array([1.2, -1.2, 0.0])  # the third feature's class means


def draw(n_per_class, sign):
    """Rows of three classes; ``sign`` flips the third feature's class means."""
    labels = np.repeat(np.arange(3), n_per_class)
    rows = np.c_[
        centres[labels] + rng.normal(size=(labels.size, 2)),
        sign * misleading[labels] + rng.normal(scale=0.4, size=labels.size),
    ]
    return rows, labels


X_source, y_source = draw(100, 1.0)
X_target, y_target = draw(100, -1.0)
X, y, sample_domain = stack_domains(
    source=(X_source, y_source), target=(X_target, None)
)
is_source = sample_domain >= 0


def target_accuracy(source_rows, target_rows):
    nearest = KNeighborsClassifier(n_neighbors=1).fit(source_rows, y_source)
    return nearest.score(target_rows, y_target)


settings = dict(kernel="linear", scaling="unit_norm", random_state=0)
tca = TransferComponentAnalysis(2, **settings)
jda = JointDistributionAdaptation(2, **settings)
panels = {
    "raw features 1 and 3": (X[:, [0, 2]], target_accuracy(X_source, X_target)),
}
for name, embedded in (
    ("TCA", tca.fit_transform(X, sample_domain=sample_domain)),
    ("JDA", jda.fit_transform(X, y, sample_domain=sample_domain)),
):
    accuracy = target_accuracy(embedded[is_source], embedded[~is_source])
    panels[name] = (embedded, accuracy)
    print(f"{name}: target accuracy {accuracy:.3f}")
print(f"raw features: target accuracy {panels['raw features 1 and 3'][1]:.3f}")
print(f"JDA rounds: {jda.n_iter_}, share of pseudo-labels changed per round:")
print(np.round(jda.label_changes_, 3))

figure, axes = plt.subplots(1, 3, figsize=(13, 4.2))
for ax, (name, (rows, accuracy)) in zip(axes, panels.items()):
    for part, labels, marker, label in (
        (rows[is_source], y_source, "o", "source"),
        (rows[~is_source], y_target, "x", "target"),
    ):
        ax.scatter(
            part[:, 0],
            part[:, 1],
            c=labels,
            cmap="viridis",
            marker=marker,
            s=12,
            alpha=0.6,
            label=label,
        )
    ax.set_title(f"{name}: 1-NN target accuracy {accuracy:.3f}")
    ax.legend(fontsize=8, loc="upper left")
figure.tight_layout()

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
