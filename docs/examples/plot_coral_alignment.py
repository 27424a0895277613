"""
CORAL and subspace alignment: the domains before and after, in 2-D
===================================================================

The target's sensors have other gains and a cross-talk between them: the
same two-class problem, with the features stretched and sheared. A linear
model fitted on the source draws its line in the source's units, and that line
is wrong in the target's.

:class:`~sktransfer.feature.CORAL` (Sun et al. 2016) recolours the source rows
with the target's covariance (``x C_s^-1/2 C_t^1/2``), so that the moved source
has the target's second moments; target rows stay as they are.
:class:`~sktransfer.feature.SubspaceAlignment` (Fernando et al. 2013) maps the
source's principal axes onto the target's; with as many components as
features, it rotates the source's axes onto the target's without rescaling
them. Neither uses a target label. The panels show the source (circles) and
target (crosses) rows, coloured by class, before and after each alignment,
with the target accuracy of a logistic regression trained on the source rows.
Here CORAL lifts it (0.88 to 0.94); subspace alignment, which turns the axes
but keeps the source's scales, does not (0.88): the shift is in the scales.

Run: ``python docs/examples/plot_coral_alignment.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from sktransfer import make_transfer_pipeline, stack_domains
from sktransfer.feature import CORAL, SubspaceAlignment

rng = np.random.RandomState(0)


def draw(n, gains):
    """Signals Z with a shared label rule, seen through a sensor matrix."""
    Z = rng.normal(size=(n, 2))
    labels = (Z[:, 0] - 0.5 * Z[:, 1] > 0).astype(int)
    return Z @ gains, labels


X_source, y_source = draw(600, np.array([[1.0, 0.0], [0.0, 1.0]]))
X_target, y_target = draw(600, np.array([[2.5, 0.8], [0.0, 0.4]]))
X, y, sample_domain = stack_domains(
    source=(X_source, y_source), target=(X_target, None)
)

models = {
    "no alignment": make_transfer_pipeline(LogisticRegression()),
    "CORAL": make_transfer_pipeline(CORAL(reg=1e-3), LogisticRegression()),
    "subspace alignment": make_transfer_pipeline(
        SubspaceAlignment(n_components=2), LogisticRegression()
    ),
}
figure, axes = plt.subplots(1, 3, figsize=(13, 4.2))
for ax, (name, model) in zip(axes, models.items()):
    model.fit(X, y, sample_domain=sample_domain)
    accuracy = model.score(X_target, y_target)
    if name == "no alignment":
        moved, target_rows = X_source, X_target
    else:
        step = model[0]
        moved = step.transform(X_source, sample_domain=np.ones(600, dtype=int))
        target_rows = step.transform(X_target)
    for rows, labels, marker, label in (
        (moved, y_source, "o", "source"),
        (target_rows, y_target, "x", "target"),
    ):
        ax.scatter(
            rows[:, 0],
            rows[:, 1],
            c=labels,
            cmap="coolwarm",
            marker=marker,
            s=10,
            alpha=0.5,
            label=label,
        )
    ax.set_title(f"{name}: target accuracy {accuracy:.3f}")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_aspect("equal", adjustable="datalim")
    print(f"{name}: target accuracy {accuracy:.3f}")
figure.tight_layout()

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
