"""
Choosing and trusting a transfer: grid search with and without target labels
=============================================================================

The source has a shortcut: feature 1 tells the classes apart in the source, but
in the target it is shifted and carries nothing. Feature 0 carries the class in
both domains; six more features are noise. Transfer component analysis (a
linear kernel) with few components drops the shortcut, because the domains'
means differ along it; with all eight components it keeps everything, shortcut
included.

**Left: grid search over the number of TCA components.** The black line is the
accuracy on held-out target rows, which no criterion sees. The criteria:

* target-label CV: 20 labeled target rows, :class:`TargetStratifiedKFold`
  folds scored by :class:`TargetScorer` (source rows always train);
* without target labels, on :class:`DomainShuffleSplit` folds:
  importance-weighted validation, reverse validation, and the naive one,
  accuracy on held-out source rows. Prediction entropy is printed, not drawn
  (its scale differs).

A star marks each criterion's pick. Here the labelling changes between the
domains (the shortcut), which breaks the assumption of importance weighting:
it, the source accuracy and the entropy all prefer keeping the shortcut, the
worst choice on the target. Reverse validation and a handful of target labels
do not.

**Right: NegativeTransferGuard** with 20 labeled target rows, on this source
(helpful) and on the same source with its labels reversed (harmful): the mean
cross-validated target score of each candidate, with its standard deviation
over 20 splits of the labeled target rows. The guard keeps transfer for the
helpful source and falls back to the target-only model for the harmful one,
warning of negative transfer.

Run: ``python docs/examples/plot_model_selection.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from sktransfer import (
    TransferComponentAnalysis,
    make_transfer_pipeline,
    stack_domains,
)
from sktransfer.model_selection import (
    DomainShuffleSplit,
    ImportanceWeightedScorer,
    NegativeTransferGuard,
    NegativeTransferWarning,
    PredictionEntropyScorer,
    ReverseValidationScorer,
    TargetScorer,
    TargetStratifiedKFold,
    TargetStratifiedShuffleSplit,
)

rng = np.random.RandomState(0)
N_ROWS, N_TARGET_LABELS, N_NOISE = 400, 20, 20
COMPONENTS = [1, 2, 4, 8, 16, 22]


def domain(n_rows, shortcut):
    y = rng.randint(2, size=n_rows)
    X = np.c_[
        2 * y - 1 + rng.normal(0, 1, n_rows),
        (2 * (2 * y - 1) if shortcut else 4) + rng.normal(0, 0.5, n_rows),
        rng.normal(0, 1, (n_rows, N_NOISE)),
    ]
    return X, y


X_source, y_source = domain(N_ROWS, shortcut=True)
X_target, y_target = domain(2 * N_ROWS, shortcut=False)
# The first half of the target is given to fit; the second half only scores.
X_fit, y_fit_hidden = X_target[:N_ROWS], y_target[:N_ROWS]
X_test, y_test = X_target[N_ROWS:], y_target[N_ROWS:]
few_labels = np.full(N_ROWS, -1)
labeled = rng.choice(N_ROWS, N_TARGET_LABELS, replace=False)
few_labels[labeled] = y_fit_hidden[labeled]

unlabeled_data = stack_domains(source=(X_source, y_source), target=(X_fit, None))
labeled_data = stack_domains(source=(X_source, y_source), target=(X_fit, few_labels))
harmful_data = stack_domains(
    source=(X_source, 1 - y_source), target=(X_fit, few_labels)
)


def tca_pipeline(n_components=2):
    return make_transfer_pipeline(
        TransferComponentAnalysis(n_components, kernel="linear"), LogisticRegression()
    )


# %%
# Grid search over the number of components
# -----------------------------------------
#
# The same grid, scored by each criterion on its own folds; the hidden target
# test accuracy of each setting is what the criteria should agree with.
grid = {"transfercomponentanalysis__n_components": COMPONENTS}
X, y, sample_domain = unlabeled_data
truth = [
    tca_pipeline(k).fit(X, y, sample_domain=sample_domain).score(X_test, y_test)
    for k in COMPONENTS
]
label_free = DomainShuffleSplit(5, random_state=0)
criteria = {
    "target-label CV (20 labels)": (
        TargetStratifiedKFold(5, shuffle=True, random_state=0),
        TargetScorer(),
        labeled_data,
    ),
    "importance-weighted": (label_free, ImportanceWeightedScorer(), unlabeled_data),
    "reverse validation": (label_free, ReverseValidationScorer(), unlabeled_data),
    "source accuracy": (label_free, None, unlabeled_data),
    "prediction entropy": (label_free, PredictionEntropyScorer(), unlabeled_data),
}
scores = {}
# Metadata routing hands each fold's sample_domain to the splitter, the
# pipeline and the scorer. With routing off, pass groups=sample_domain too.
with config_context(enable_metadata_routing=True):
    for name, (cv, scoring, (X, y, sample_domain)) in criteria.items():
        search = GridSearchCV(tca_pipeline(), grid, cv=cv, scoring=scoring)
        search.fit(X, y, sample_domain=sample_domain)
        scores[name] = search.cv_results_["mean_test_score"]

print("components:            ", COMPONENTS)
print(f"{'target test accuracy':<28}", np.round(truth, 3))
for name, values in scores.items():
    pick = COMPONENTS[int(np.argmax(values))]
    print(
        f"{name:<28}",
        np.round(values, 3),
        f"picks {pick}: target accuracy {truth[COMPONENTS.index(pick)]:.3f}",
    )

# %%
# The guard on a helpful and a harmful source
# -------------------------------------------
guards = {}
for name, (X, y, sample_domain) in [
    ("helpful source", labeled_data),
    ("harmful source\n(labels reversed)", harmful_data),
]:
    # 20 random quarters of the labeled target rows as test sets: with so few
    # labels, more splits than 5 folds steady the comparison.
    cv = TargetStratifiedShuffleSplit(20, test_size=0.25, random_state=0)
    guard = NegativeTransferGuard(tca_pipeline(2), cv=cv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NegativeTransferWarning)
        guard.fit(X, y, sample_domain=sample_domain)
    guards[name] = guard
    accuracy = guard.score(X_test, y_test)
    print(f"\n{name.splitlines()[0]}: target test accuracy {accuracy:.3f}")
    print(guard.report())
    for warning in caught:
        print("warning:", warning.message)

# %%
# The figure
# ----------
figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
left.plot(COMPONENTS, truth, "k-o", lw=2.5, label="target test accuracy (hidden)")
for (name, values), colour in zip(
    list(scores.items())[:4], ["tab:green", "tab:orange", "tab:blue", "tab:grey"]
):
    left.plot(COMPONENTS, values, "-o", c=colour, label=name)
    best = int(np.argmax(values))
    left.plot(COMPONENTS[best], values[best], "*", c=colour, ms=18, mec="k")
left.set_xlabel("TCA components (22 = every feature, shortcut included)")
left.set_ylabel("score")
left.set_title("Which criterion picks the model that works on the target?")
left.legend(fontsize=8, loc="lower left")

names = guards["helpful source"].cv_results_["candidate"]
width = 0.38
for offset, (case, guard) in zip([-width / 2, width / 2], guards.items()):
    results = guard.cv_results_
    bars = right.bar(
        np.arange(len(names)) + offset,
        results["mean_score"],
        width,
        yerr=results["std_score"],
        capsize=3,
        label=f"{case.splitlines()[0]}: kept {guard.selected_}, gain "
        f"{guard.transfer_gain_:+.2f} ± {guard.transfer_gain_se_:.2f}",
    )
    kept = names.index(guard.selected_)
    bars[kept].set_edgecolor("k")
    bars[kept].set_linewidth(2.5)
right.set_xticks(np.arange(len(names)), names)
right.set_ylabel("target accuracy, 20 target CV splits")
right.set_ylim(0, 1.05)
right.set_title("NegativeTransferGuard (black edge: the model kept)")
right.legend(fontsize=8, loc="upper right")
figure.tight_layout()

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=110)
else:
    plt.show()
