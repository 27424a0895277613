import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer.datasets import make_domain_shift
from sktransfer.model_selection import (
    NegativeTransferGuard,
    NegativeTransferWarning,
    TargetStratifiedKFold,
)
from sktransfer.model_selection._guard import baseline_learner
from sktransfer.parameter import (
    RegularTransferLogisticRegression,
    RegularTransferRidge,
    _prior_solvers,
)

TIGHT = dict(tol=1e-10, max_iter=10000)


def _shifted(seed, n_labeled, *, n_classes=2, task="classification", n_test=0):
    """300 source rows, then ``n_labeled`` target rows (and a test set)."""
    X, y, _ = make_domain_shift(
        300,
        n_labeled + n_test,
        6,
        shift="concept",
        strength=0.6,
        noise=0.5,
        task=task,
        random_state=seed,
    )
    if n_classes == 3:
        y = y + (X[:, 2] > 0.6)
    sd = np.r_[np.ones(300, int), np.full(n_labeled + n_test, -2)]
    n_train = 300 + n_labeled
    return X[:n_train], y[:n_train], sd[:n_train], X[n_train:], y[n_train:]


def _as(kind, X):
    return sp.csr_matrix(X) if kind == "sparse" else X


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_strength_zero_is_sklearn_on_the_target_rows(kind, n_classes):
    X, y, sd, X_test, _ = _shifted(0, 60, n_classes=n_classes, n_test=50)
    weight = np.random.RandomState(0).uniform(0.5, 2, y.shape[0])
    X = _as(kind, X)
    model = RegularTransferLogisticRegression(strength=0.0, C=0.7, **TIGHT)
    model.fit(X, y, sample_domain=sd, sample_weight=weight)
    target = sd < 0
    reference = LogisticRegression(C=0.7, **TIGHT).fit(
        X[target], y[target], sample_weight=weight[target]
    )
    assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert_allclose(model.intercept_, reference.intercept_, atol=1e-6)
    assert_allclose(
        model.predict_proba(X_test), reference.predict_proba(X_test), atol=1e-6
    )
    assert_array_equal(model.classes_, reference.classes_)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}])
def test_logistic_class_weight_is_sklearns(class_weight):
    X, y, sd, _, _ = _shifted(1, 60)
    model = RegularTransferLogisticRegression(
        strength=0.0, class_weight=class_weight, **TIGHT
    ).fit(X, y, sample_domain=sd)
    target = sd < 0
    reference = LogisticRegression(class_weight=class_weight, **TIGHT)
    reference.fit(X[target], y[target])
    assert_allclose(model.coef_, reference.coef_, atol=1e-6)


def test_logistic_without_intercept_is_sklearns_and_keeps_it_zero():
    X, y, sd, _, _ = _shifted(2, 60)
    model = RegularTransferLogisticRegression(
        strength=0.0, fit_intercept=False, **TIGHT
    ).fit(X, y, sample_domain=sd)
    target = sd < 0
    reference = LogisticRegression(fit_intercept=False, **TIGHT)
    reference.fit(X[target], y[target])
    assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert_array_equal(model.intercept_, [0.0])
    pulled = RegularTransferLogisticRegression(strength=5.0, fit_intercept=False)
    assert_array_equal(pulled.fit(X, y, sample_domain=sd).intercept_, [0.0])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_large_strength_is_the_source_model(n_classes):
    X, y, sd, X_test, _ = _shifted(3, 40, n_classes=n_classes, n_test=30)
    model = RegularTransferLogisticRegression(strength=1e9, C=0.5)
    model.fit(X, y, sample_domain=sd)
    source = model.source_estimator_
    assert source.C == 0.5
    assert_allclose(model.coef_, source.coef_, atol=1e-6)
    assert_allclose(model.intercept_, source.intercept_, atol=1e-6)
    assert_allclose(
        model.predict_proba(X_test), source.predict_proba(X_test), atol=1e-6
    )
    exact = clone(model).set_params(strength=np.inf).fit(X, y, sample_domain=sd)
    assert_array_equal(exact.coef_, source.coef_)
    assert_array_equal(exact.predict(X_test), source.predict(X_test))


def test_logistic_moves_from_the_target_fit_to_the_source_as_strength_grows():
    X, y, sd, _, _ = _shifted(4, 40)
    distances = []
    for strength in [0.0, 0.1, 1.0, 10.0, 100.0]:
        model = RegularTransferLogisticRegression(strength=strength, **TIGHT)
        model.fit(X, y, sample_domain=sd)
        distances.append(np.linalg.norm(model.coef_ - model.prior_coef_))
    assert np.all(np.diff(distances) < 0)


def test_frozen_source_needs_target_rows_only_and_equals_the_inside_fit():
    X, y, sd, X_test, _ = _shifted(5, 40, n_test=30)
    inside = RegularTransferLogisticRegression(strength=2.0, **TIGHT)
    inside.fit(X, y, sample_domain=sd)
    production = LogisticRegression(max_iter=1000).fit(X[sd > 0], y[sd > 0])
    coef_before = production.coef_.copy()
    frozen = RegularTransferLogisticRegression(
        FrozenEstimator(production), strength=2.0, **TIGHT
    ).fit(X[sd < 0], y[sd < 0])
    assert frozen.source_estimator_ is frozen.source_estimator
    assert_allclose(frozen.coef_, inside.coef_, atol=1e-8)
    assert_allclose(
        frozen.predict_proba(X_test), inside.predict_proba(X_test), atol=1e-8
    )
    assert_array_equal(production.coef_, coef_before)


def test_decision_function_predict_and_log_proba_agree():
    X, y, sd, X_test, _ = _shifted(6, 40, n_classes=3, n_test=30)
    model = RegularTransferLogisticRegression().fit(X, y, sample_domain=sd)
    scores = model.decision_function(X_test)
    assert scores.shape == (30, 3)
    assert_array_equal(model.predict(X_test), model.classes_[scores.argmax(axis=1)])
    assert_allclose(
        np.exp(model.predict_log_proba(X_test)), model.predict_proba(X_test)
    )
    binary = RegularTransferLogisticRegression().fit(
        *_shifted(6, 40)[:2], sample_domain=sd
    )
    assert binary.decision_function(X_test).shape == (30,)


def test_fit_on_inferred_source_rows_only_is_the_source_model():
    X, y = _shifted(7, 1)[0][:300], _shifted(7, 1)[1][:300]
    model = RegularTransferLogisticRegression().fit(X, y)
    assert model.n_target_rows_ == 0
    assert_array_equal(model.coef_, model.source_estimator_.coef_)
    X, y = _shifted(7, 1, task="regression")[:2]
    ridge = RegularTransferRidge().fit(X[:300], y[:300])
    assert_array_equal(ridge.coef_, ridge.source_estimator_.coef_)


def test_target_class_unknown_to_the_source_is_refused():
    X, y, sd, _, _ = _shifted(8, 40)
    y = y.copy()
    y[-1] = 7
    with pytest.raises(ValueError, match=r"classes \[7\].*does not know"):
        RegularTransferLogisticRegression().fit(X, y, sample_domain=sd)


def test_strength_zero_needs_every_class_among_the_target_rows():
    X, y, sd, _, _ = _shifted(9, 40, n_classes=3)
    y = y.copy()
    y[sd < 0] = np.where(y[sd < 0] == 2, 1, y[sd < 0])
    with pytest.raises(ValueError, match="strength > 0"):
        RegularTransferLogisticRegression(strength=0.0).fit(X, y, sample_domain=sd)
    # Pulled towards the source, the missing class keeps the source's weights.
    model = RegularTransferLogisticRegression(strength=1.0).fit(X, y, sample_domain=sd)
    assert model.classes_.tolist() == [0, 1, 2]


def test_a_source_model_without_weights_is_refused():
    X, y, sd, _, _ = _shifted(10, 40)
    source = HistGradientBoostingClassifier(max_iter=5).fit(X[sd > 0], y[sd > 0])
    with pytest.raises(TypeError, match="coef_ and intercept_.*pipeline"):
        RegularTransferLogisticRegression(FrozenEstimator(source)).fit(
            X[sd < 0], y[sd < 0]
        )
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    with pytest.raises(TypeError, match="Pipeline has none"):
        RegularTransferLogisticRegression(pipeline).fit(X, y, sample_domain=sd)


def test_a_source_model_of_other_features_is_refused():
    X, y, sd, _, _ = _shifted(11, 40)
    source = LogisticRegression().fit(X[sd > 0, :4], y[sd > 0])
    with pytest.raises(ValueError, match="4 weights per output, but X has 6"):
        RegularTransferLogisticRegression(FrozenEstimator(source)).fit(
            X[sd < 0], y[sd < 0]
        )


def test_a_regressor_source_for_the_classifier_is_refused():
    X, y, sd, _, _ = _shifted(12, 40)
    source = Ridge().fit(X[sd > 0], y[sd > 0])
    with pytest.raises(TypeError, match="source classifier with classes_"):
        RegularTransferLogisticRegression(FrozenEstimator(source)).fit(
            X[sd < 0], y[sd < 0]
        )


def test_stopping_short_warns_with_advice():
    X, y, sd, _, _ = _shifted(13, 60)
    model = RegularTransferLogisticRegression(strength=0.0, max_iter=1)
    with pytest.warns(ConvergenceWarning, match="Raise max_iter"):
        model.fit(X, y, sample_domain=sd)
    assert model.n_iter_ == 1


def test_a_line_search_stopped_at_the_optimum_does_not_warn():
    """A strong pull makes the objective steep: L-BFGS-B's line search gives up
    ("ABNORMAL") where the gradient is already far below its start."""
    X, y, sd = make_domain_shift(
        2000, 40, 20, shift="concept", strength=0.5, random_state=20
    )
    source = LogisticRegression().fit(X[sd >= 0], y[sd >= 0])
    model = RegularTransferLogisticRegression(
        FrozenEstimator(source), C=0.01, strength=1000.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X[sd < 0][:16], y[sd < 0][:16])
    tight = clone(model).set_params(tol=1e-12, max_iter=100000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tight.fit(X[sd < 0][:16], y[sd < 0][:16])
    assert_allclose(model.coef_, tight.coef_, rtol=1e-6)


def test_grid_search_over_strength_with_target_folds_and_pickling():
    X, y, sd, X_test, _ = _shifted(14, 40, n_test=20)
    search = GridSearchCV(
        RegularTransferLogisticRegression(),
        {"strength": [0.01, 1.0, 100.0]},
        cv=TargetStratifiedKFold(4, shuffle=True, random_state=0),
    )
    search.fit(X, y, sample_domain=sd, groups=sd)
    assert search.best_params_["strength"] in (0.01, 1.0, 100.0)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(restored.predict(X_test), search.predict(X_test))


def test_in_a_pipeline_after_a_scaler():
    X, y, sd, X_test, _ = _shifted(15, 40, n_test=20)
    pipeline = make_pipeline(StandardScaler(), RegularTransferLogisticRegression())
    pipeline.fit(X, y, regulartransferlogisticregression__sample_domain=sd)
    assert pipeline.predict(X_test).shape == (20,)


def test_the_guard_builds_its_baselines_from_the_source_estimator():
    guarded = NegativeTransferGuard(RegularTransferLogisticRegression(C=0.3))
    learner = baseline_learner(guarded.estimator)
    assert isinstance(learner, LogisticRegression)
    assert learner.C == 0.3
    X, y, sd, _, _ = _shifted(16, 40)
    production = LogisticRegression(C=2.0).fit(X[sd > 0], y[sd > 0])
    frozen = RegularTransferLogisticRegression(FrozenEstimator(production))
    learner = baseline_learner(frozen)
    assert isinstance(learner, LogisticRegression)
    assert learner.C == 2.0
    assert not hasattr(learner, "coef_")
    guard = NegativeTransferGuard(RegularTransferLogisticRegression(), cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        guard.fit(X, y, sample_domain=sd)
    candidates = set(guard.cv_results_["candidate"])
    assert candidates == {"transfer", "target_only", "source_only", "pooled"}


def test_the_prior_beats_every_baseline_on_a_rotation_with_few_labels():
    """20 target labels, the boundary turned by 45 degrees in 20 dimensions,
    paired over seeds against the best of three baselines."""
    gains = []
    for seed in range(8):
        X, y, _ = make_domain_shift(
            500, 520, 20, shift="concept", strength=1.0, noise=0.3, random_state=seed
        )
        sd = np.r_[np.ones(500, int), np.full(20, -2)]
        X, y, X_test, y_test = X[:520], y[:520], X[520:], y[520:]
        model = RegularTransferLogisticRegression(strength=0.3)
        model.fit(X, y, sample_domain=sd)
        target = sd < 0
        baselines = [
            model.source_estimator_,
            LogisticRegression(max_iter=1000).fit(X[target], y[target]),
            LogisticRegression(max_iter=1000).fit(X, y),
        ]
        best = max(baseline.score(X_test, y_test) for baseline in baselines)
        gains.append(model.score(X_test, y_test) - best)
    gains = np.asarray(gains)
    assert gains.mean() > 2 * gains.std(ddof=1) / np.sqrt(gains.shape[0])


# -- ridge ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_strength_zero_is_sklearns(kind, fit_intercept):
    X, y, sd, X_test, _ = _shifted(20, 50, task="regression", n_test=20)
    weight = np.random.RandomState(1).uniform(0.5, 2, y.shape[0])
    X = _as(kind, X)
    model = RegularTransferRidge(strength=0.0, alpha=0.3, fit_intercept=fit_intercept)
    model.fit(X, y, sample_domain=sd, sample_weight=weight)
    target = sd < 0
    reference = Ridge(alpha=0.3, fit_intercept=fit_intercept).fit(
        X[target], y[target], sample_weight=weight[target]
    )
    assert model.coef_.shape == reference.coef_.shape
    assert_allclose(model.coef_, reference.coef_, atol=1e-8)
    assert_allclose(model.intercept_, reference.intercept_, atol=1e-8)
    assert_allclose(model.predict(X_test), reference.predict(X_test), atol=1e-8)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("n_labeled", [30, 4], ids=["primal", "through-rows"])
def test_ridge_solves_the_stated_objective(n_labeled, kind):
    """Against the least-squares problem the objective is, stacked by hand
    (with 4 rows and 7 unknowns the solve goes through the rows)."""
    X, y, sd, _, _ = _shifted(21, n_labeled, task="regression")
    alpha, strength = 0.7, 3.0
    weight = np.random.RandomState(2).uniform(0.5, 2, y.shape[0])
    model = RegularTransferRidge(strength=strength, alpha=alpha)
    model.fit(_as(kind, X), y, sample_domain=sd, sample_weight=weight)
    target = sd < 0
    root = np.sqrt(weight[target])
    design = root[:, None] * np.c_[X[target], np.ones(target.sum())]
    prior = np.r_[model.prior_coef_[0], model.prior_intercept_]
    n = X.shape[1]
    rows = [design, np.sqrt(alpha) * np.c_[np.eye(n), np.zeros(n)]]
    rows.append(np.sqrt(strength) * np.eye(n + 1))
    rhs = np.r_[root * y[target], np.zeros(n), np.sqrt(strength) * prior]
    expected = np.linalg.lstsq(np.vstack(rows), rhs, rcond=None)[0]
    assert_allclose(np.r_[model.coef_, model.intercept_], expected, atol=1e-10)


def test_ridge_conjugate_gradients_agree_with_the_direct_solve(monkeypatch):
    X, y, sd, _, _ = _shifted(22, 30, task="regression")
    Y = np.c_[y, 2 * y - 1]
    source = FrozenEstimator(Ridge().fit(X[sd > 0], Y[sd > 0]))
    model = RegularTransferRidge(source, strength=2.0)
    direct = clone(model).fit(X[sd < 0], Y[sd < 0])
    monkeypatch.setattr(_prior_solvers, "MAX_DIRECT_UNKNOWNS", 3)
    iterative = clone(model).fit(sp.csr_matrix(X[sd < 0]), Y[sd < 0])
    assert iterative.n_iter_ > 0
    assert direct.n_iter_ == 0
    assert_allclose(iterative.coef_, direct.coef_, atol=1e-7)
    assert_allclose(iterative.intercept_, direct.intercept_, atol=1e-7)


def test_ridge_conjugate_gradients_stopping_short_warns(monkeypatch):
    X, y, sd, _, _ = _shifted(22, 30, task="regression")
    monkeypatch.setattr(_prior_solvers, "MAX_DIRECT_UNKNOWNS", 3)
    with pytest.warns(ConvergenceWarning, match="conjugate gradients did not"):
        RegularTransferRidge(max_iter=1).fit(X, y, sample_domain=sd)


def test_ridge_large_strength_is_the_source_model_both_ways():
    X, y, sd, X_test, _ = _shifted(23, 30, task="regression", n_test=20)
    model = RegularTransferRidge(strength=1e10).fit(X, y, sample_domain=sd)
    source = model.source_estimator_
    assert_allclose(model.coef_, source.coef_, atol=1e-6)
    assert_allclose(model.predict(X_test), source.predict(X_test), atol=1e-6)
    production = LinearRegression().fit(X[sd > 0], y[sd > 0])
    frozen = RegularTransferRidge(FrozenEstimator(production), strength=np.inf)
    frozen.fit(X[sd < 0], y[sd < 0])
    assert_array_equal(frozen.predict(X_test), production.predict(X_test))


def test_ridge_multi_output_matches_sklearn_and_checks_the_source_outputs():
    X, y, sd, _, _ = _shifted(24, 40, task="regression")
    Y = np.c_[y, -y + 1]
    model = RegularTransferRidge(strength=0.0).fit(X, Y, sample_domain=sd)
    reference = Ridge().fit(X[sd < 0], Y[sd < 0])
    assert_allclose(model.coef_, reference.coef_, atol=1e-8)
    assert model.predict(X[:3]).shape == (3, 2)
    one_output = FrozenEstimator(Ridge().fit(X[sd > 0], y[sd > 0]))
    with pytest.raises(ValueError, match="y has 2 output.*predicts 1"):
        RegularTransferRidge(one_output).fit(X[sd < 0], Y[sd < 0])


def test_ridge_through_the_rows_drops_rows_of_zero_weight():
    X, y, sd, _, _ = _shifted(27, 5, task="regression")
    weight = np.r_[np.ones(300), [1.0, 0.0, 2.0, 0.0, 1.0]]
    model = RegularTransferRidge(strength=0.5).fit(
        X, y, sample_domain=sd, sample_weight=weight
    )
    kept = weight > 0
    reference = RegularTransferRidge(strength=0.5).fit(
        X[kept], y[kept], sample_domain=sd[kept], sample_weight=weight[kept]
    )
    assert_allclose(model.coef_, reference.coef_, atol=1e-10)


def test_ridge_without_intercept_through_the_rows_is_sklearns():
    X, y, sd, _, _ = _shifted(28, 4, task="regression")
    model = RegularTransferRidge(strength=0.0, alpha=0.5, fit_intercept=False)
    model.fit(X, y, sample_domain=sd)
    reference = Ridge(alpha=0.5, fit_intercept=False).fit(X[sd < 0], y[sd < 0])
    assert_allclose(model.coef_, reference.coef_, atol=1e-10)


def test_ridge_refuses_a_classifier_as_its_source():
    X, y, sd, _, _ = _shifted(29, 20)
    source = FrozenEstimator(LogisticRegression().fit(X[sd > 0], y[sd > 0]))
    with pytest.raises(TypeError, match="LogisticRegression is a classifier"):
        RegularTransferRidge(source).fit(X[sd < 0], y[sd < 0].astype(float))


def test_logistic_without_plain_penalty():
    X, y, sd, _, _ = _shifted(30, 40)
    model = RegularTransferLogisticRegression(strength=1.0, C=np.inf, **TIGHT)
    model.fit(X, y, sample_domain=sd)
    huge_c = RegularTransferLogisticRegression(strength=1.0, C=1e15, **TIGHT)
    assert_allclose(model.coef_, huge_c.fit(X, y, sample_domain=sd).coef_, atol=1e-8)


def test_ridge_without_any_penalty_and_few_rows_is_refused():
    X, y, sd, _, _ = _shifted(25, 4, task="regression")
    with pytest.raises(ValueError, match="cannot determine 6 weights"):
        RegularTransferRidge(strength=0.0, alpha=0.0).fit(X, y, sample_domain=sd)


def test_the_relational_prior_is_this_solver():
    from sktransfer.relational import fit_prior_logistic

    X, y, sd, _, _ = _shifted(26, 40)
    production = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    model = RegularTransferLogisticRegression(
        FrozenEstimator(production), strength=0.5, C=2.0
    ).fit(X[sd < 0], y[sd < 0])
    coef, intercept = fit_prior_logistic(
        X[sd < 0],
        y[sd < 0],
        production.coef_[0],
        float(production.intercept_[0]),
        C=2.0,
        strength=0.5,
    )
    assert_allclose(coef, model.coef_[0], atol=1e-12)
    assert_allclose(intercept, model.intercept_[0], atol=1e-12)
