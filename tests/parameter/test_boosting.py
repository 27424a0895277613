import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktransfer.datasets import make_domain_shift
from sktransfer.model_selection import TargetStratifiedKFold
from sktransfer.parameter._boosting import (
    SourceBoostingClassifier,
    SourceBoostingRegressor,
)

_MINUS_ONE_IS_UNLABELED = (
    "-1 marks unlabeled target rows: labels {-1, 1} are refused with advice "
    "to re-encode them."
)


def _concept_shift(seed, n_labeled, *, task="classification", n_classes=2):
    """Source rows, ``n_labeled`` labeled target rows, and a target test set."""
    X, y, _ = make_domain_shift(
        300,
        400 + n_labeled,
        4,
        shift="concept",
        strength=1.0,
        task=task,
        noise=0.3,
        random_state=seed,
    )
    if n_classes == 3 and task == "classification":
        y = y + (X[:, 2] > 0.8)
    n_train = 300 + n_labeled
    sample_domain = np.r_[np.ones(300, int), np.full(n_labeled, -2)]
    return X[:n_train], y[:n_train], sample_domain, X[n_train:], y[n_train:]


@parametrize_with_checks(
    [SourceBoostingClassifier(n_estimators=5), SourceBoostingRegressor(n_estimators=5)],
    expected_failed_checks=lambda est: (
        {"check_classifiers_classes": _MINUS_ONE_IS_UNLABELED}
        if isinstance(est, SourceBoostingClassifier)
        else {}
    ),
)
# check_supervised_y_no_nan casts a y holding inf/NaN before the error it expects.
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "source", [None, LogisticRegression(max_iter=500)], ids=["hgb", "logistic"]
)
def test_zero_rounds_is_the_source_model_fitted_inside(n_classes, source):
    X, y, sd, X_test, _ = _concept_shift(0, 30, n_classes=n_classes)
    model = SourceBoostingClassifier(source, n_estimators=0, random_state=0)
    model.fit(X, y, sample_domain=sd)
    reference = model.source_estimator_
    assert model.n_estimators_ == 0
    assert_allclose(
        model.predict_proba(X_test), reference.predict_proba(X_test), atol=1e-6
    )
    assert_allclose(
        model.decision_function(X_test), reference.decision_function(X_test), atol=1e-6
    )
    assert_array_equal(model.predict(X_test), reference.predict(X_test))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_zero_rounds_is_the_frozen_source_model_without_source_rows(n_classes):
    X, y, sd, X_test, _ = _concept_shift(1, 30, n_classes=n_classes)
    source = HistGradientBoostingClassifier(random_state=0).fit(X[sd > 0], y[sd > 0])
    model = SourceBoostingClassifier(FrozenEstimator(source), n_estimators=0)
    model.fit(X[sd < 0], y[sd < 0])  # target rows only
    assert_allclose(
        model.predict_proba(X_test), source.predict_proba(X_test), atol=1e-6
    )
    assert_allclose(
        model.decision_function(X_test), source.decision_function(X_test), atol=1e-6
    )
    assert_array_equal(model.predict(X_test), source.predict(X_test))


def test_zero_rounds_from_predict_proba_only_source():
    X, y, sd, X_test, _ = _concept_shift(2, 30, n_classes=3)
    source = DecisionTreeClassifier(max_depth=3, random_state=0)
    source.fit(X[sd > 0], y[sd > 0])
    model = SourceBoostingClassifier(FrozenEstimator(source), n_estimators=0)
    model.fit(X[sd < 0], y[sd < 0])
    assert_allclose(
        model.predict_proba(X_test), source.predict_proba(X_test), atol=1e-6
    )
    assert_array_equal(model.predict(X_test), source.predict(X_test))


def test_regressor_zero_rounds_is_the_source_model_both_ways():
    X, y, sd, X_test, _ = _concept_shift(3, 30, task="regression")
    inside = SourceBoostingRegressor(n_estimators=0, random_state=0)
    inside.fit(X, y, sample_domain=sd)
    assert_allclose(
        inside.predict(X_test), inside.source_estimator_.predict(X_test), atol=1e-6
    )
    source = Ridge().fit(X[sd > 0], y[sd > 0])
    frozen = SourceBoostingRegressor(FrozenEstimator(source), n_estimators=0)
    frozen.fit(X[sd < 0], y[sd < 0])
    assert_allclose(frozen.predict(X_test), source.predict(X_test), atol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_training_loss_decreases(n_classes):
    X, y, sd, _, _ = _concept_shift(4, 40, n_classes=n_classes)
    model = SourceBoostingClassifier(n_estimators=30, random_state=0)
    model.fit(X, y, sample_domain=sd)
    assert model.n_estimators_ == 30
    assert len(model.estimators_[0]) == (1 if n_classes == 2 else 3)
    assert np.all(np.diff(model.train_score_) <= 1e-12)
    assert model.train_score_[-1] < 0.5 * model.train_score_[0]


def test_regressor_training_loss_decreases_and_fits_the_target():
    X, y, sd, X_test, y_test = _concept_shift(5, 40, task="regression")
    source = Ridge().fit(X[sd > 0], y[sd > 0])
    model = SourceBoostingRegressor(FrozenEstimator(source), n_estimators=50)
    model.fit(X[sd < 0], y[sd < 0])
    assert np.all(np.diff(model.train_score_) <= 1e-12)
    assert model.train_score_[-1] < 0.2 * model.train_score_[0]
    assert model.score(X_test, y_test) > source.score(X_test, y_test)


def _effect_appears(seed, n_labeled, n_source=300, n_test=1000):
    """Feature 2 gets a threshold effect in the target that the source lacks."""
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(n_source, 4))
    noise = 0.3 * rng.normal(size=n_source)
    y_source = (X_source[:, 0] + X_source[:, 1] + noise > 0).astype(int)
    X_target = rng.normal(size=(n_labeled + n_test, 4))
    score = X_target[:, 0] + X_target[:, 1] - 2 * (X_target[:, 2] > 0) + 1
    y_target = (score + 0.3 * rng.normal(size=score.shape[0]) > 0).astype(int)
    X = np.r_[X_source, X_target[:n_labeled]]
    y = np.r_[y_source, y_target[:n_labeled]]
    sample_domain = np.r_[np.ones(n_source, int), np.full(n_labeled, -2)]
    return X, y, sample_domain, X_target[n_labeled:], y_target[n_labeled:]


def test_boosting_from_the_source_beats_target_only_and_source_only():
    """30 target labels, paired over seeds, against the best of four baselines."""
    params = dict(n_estimators=100, learning_rate=0.3, max_depth=2, min_samples_leaf=3)
    gains = []
    for seed in range(6):
        X, y, sd, X_test, y_test = _effect_appears(seed, 30)
        model = SourceBoostingClassifier(
            LogisticRegression(), random_state=seed, **params
        ).fit(X, y, sample_domain=sd)
        target_rows = sd < 0
        baselines = [
            model.source_estimator_,
            GradientBoostingClassifier(random_state=seed, **params).fit(
                X[target_rows], y[target_rows]
            ),
            LogisticRegression().fit(X[target_rows], y[target_rows]),
            HistGradientBoostingClassifier(random_state=seed).fit(X, y),
        ]
        best = max(baseline.score(X_test, y_test) for baseline in baselines)
        gains.append(model.score(X_test, y_test) - best)
    gains = np.asarray(gains)
    standard_error = gains.std(ddof=1) / np.sqrt(gains.shape[0])
    assert gains.mean() > 2 * standard_error


def test_deterministic_under_random_state():
    X, y, sd, X_test, _ = _concept_shift(6, 40)
    params = dict(n_estimators=20, subsample=0.7, n_iter_no_change=5, random_state=3)
    first = SourceBoostingClassifier(**params).fit(X, y, sample_domain=sd)
    second = SourceBoostingClassifier(**params).fit(X, y, sample_domain=sd)
    assert_array_equal(first.predict_proba(X_test), second.predict_proba(X_test))
    other = SourceBoostingClassifier(**{**params, "random_state": 4})
    other.fit(X, y, sample_domain=sd)
    assert not np.allclose(first.predict_proba(X_test), other.predict_proba(X_test))


def test_sample_weight_is_row_repetition_on_target_rows():
    X, y, sd, X_test, _ = _concept_shift(7, 30)
    source = FrozenEstimator(LogisticRegression().fit(X[sd > 0], y[sd > 0]))
    Xt, yt = X[sd < 0], y[sd < 0]
    weights = np.ones(30)
    weights[:10] = 2
    model = SourceBoostingClassifier(
        source, n_estimators=5, min_samples_leaf=1, random_state=0
    )
    weighted = model.fit(Xt, yt, sample_weight=weights).predict_proba(X_test)
    repeated = model.fit(np.r_[Xt, Xt[:10]], np.r_[yt, yt[:10]]).predict_proba(X_test)
    assert_allclose(weighted, repeated, atol=1e-6)
    zero = weights.copy()
    zero[:10] = 0
    dropped = model.fit(Xt, yt, sample_weight=zero).predict_proba(X_test)
    kept = model.fit(Xt[10:], yt[10:]).predict_proba(X_test)
    assert_allclose(dropped, kept, atol=1e-6)


def test_early_stopping_stops_and_keeps_the_best_round():
    X, y, sd, _, _ = _concept_shift(8, 50)
    model = SourceBoostingClassifier(
        n_estimators=500,
        learning_rate=0.5,
        n_iter_no_change=3,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X, y, sample_domain=sd)
    assert model.n_estimators_ < 100
    assert len(model.validation_score_) < 100
    assert model.n_estimators_ == int(np.argmin(model.validation_score_))
    assert model.train_score_.shape == (model.n_estimators_ + 1,)


def test_early_stopping_needs_rows_to_boost_on():
    X, y, sd, _, _ = _concept_shift(9, 1)
    with pytest.raises(ValueError, match="validation_fraction"):
        SourceBoostingClassifier(n_iter_no_change=2).fit(X, y, sample_domain=sd)


def test_grid_search_with_target_stratified_folds():
    X, y, sd, _, _ = _concept_shift(10, 40)
    search = GridSearchCV(
        SourceBoostingClassifier(random_state=0),
        {"n_estimators": [0, 10], "learning_rate": [0.1, 0.5]},
        cv=TargetStratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y, sample_domain=sd, groups=sd)
    assert search.best_params_["n_estimators"] == 10
    assert search.best_estimator_.n_estimators_ == 10


def test_target_class_unknown_to_the_source_is_refused():
    X, y, sd, _, _ = _concept_shift(11, 30)
    source = FrozenEstimator(LogisticRegression().fit(X[sd > 0], y[sd > 0]))
    yt = y[sd < 0].copy()
    yt[0] = 5
    with pytest.raises(ValueError, match=r"Target classes \[5\] are not among"):
        SourceBoostingClassifier(source).fit(X[sd < 0], yt)


def test_source_without_a_margin_is_refused():
    X, y, sd, _, _ = _concept_shift(12, 30)
    source = FrozenEstimator(HistGradientBoostingRegressor().fit(X[sd > 0], y[sd > 0]))
    with pytest.raises(TypeError, match="needs a classifier"):
        SourceBoostingClassifier(source).fit(X[sd < 0], y[sd < 0])


def test_margin_without_probabilities_boosts_the_decision_function():
    X, y, sd, X_test, y_test = _concept_shift(13, 40)
    source = LinearSVC().fit(X[sd > 0], y[sd > 0])
    model = SourceBoostingClassifier(FrozenEstimator(source), n_estimators=0)
    model.fit(X[sd < 0], y[sd < 0])
    assert_allclose(
        model.decision_function(X_test), source.decision_function(X_test), atol=1e-6
    )
    assert_array_equal(model.predict(X_test), source.predict(X_test))


def _frame_with_a_category(seed, n_labeled):
    X, y, sd, X_test, y_test = _effect_appears(seed, n_labeled)
    pd = pytest.importorskip("pandas")

    def frame(X):
        colour = pd.Categorical(np.where(X[:, 3] > 0, "red", "blue"))
        return pd.DataFrame(
            {"colour": colour, "a": X[:, 0], "b": X[:, 1], "c": X[:, 2]}
        )

    return frame(X), y, sd, frame(X_test), y_test


def test_categorical_columns_through_an_encoder_in_a_pipeline():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    X, y, sd, X_test, y_test = _frame_with_a_category(0, 40)
    encode = ColumnTransformer(
        [("colour", OrdinalEncoder(), ["colour"])], remainder="passthrough"
    )
    source = HistGradientBoostingClassifier(categorical_features=[0], random_state=0)
    for n_estimators in (0, 30):
        pipe = make_pipeline(
            encode,
            SourceBoostingClassifier(source, n_estimators=n_estimators, random_state=0),
        )
        pipe.fit(X, y, sourceboostingclassifier__sample_domain=sd)
        model = pipe[-1]
        assert_array_equal(model.source_estimator_.is_categorical_, [1, 0, 0, 0])
        source_proba = model.source_estimator_.predict_proba(pipe[0].transform(X_test))
        if n_estimators == 0:
            assert_allclose(pipe.predict_proba(X_test), source_proba, atol=1e-6)
        else:
            assert pipe.score(X_test, y_test) > model.source_estimator_.score(
                pipe[0].transform(X_test), y_test
            )


def test_category_columns_go_to_the_source_as_categories_and_to_the_trees_as_codes():
    X, y, sd, X_test, y_test = _frame_with_a_category(0, 40)
    model = SourceBoostingClassifier(n_estimators=0, random_state=0)
    model.fit(X, y, sample_domain=sd)
    source = model.source_estimator_
    assert_array_equal(source.is_categorical_, [True, False, False, False])
    assert_allclose(model.predict_proba(X_test), source.predict_proba(X_test))
    assert list(model.categories_) == ["colour"]
    assert model.feature_names_in_.tolist() == ["colour", "a", "b", "c"]
    boosted = clone(model).set_params(n_estimators=30).fit(X, y, sample_domain=sd)
    assert boosted.score(X_test, y_test) > source.score(X_test, y_test)
    # The trees read codes: the same rows with numeric codes predict the same.
    codes = X_test.assign(colour=X_test["colour"].cat.codes.astype(float))
    margin = source.decision_function(X_test)
    for (tree,) in boosted.estimators_:
        margin = margin + tree.predict(codes.to_numpy())
    assert_allclose(boosted.decision_function(X_test), margin)


def test_unseen_and_missing_categories_are_nan_for_the_trees():
    X, y, sd, X_test, _ = _frame_with_a_category(1, 40)
    model = SourceBoostingClassifier(n_estimators=5, random_state=0)
    model.fit(X, y, sample_domain=sd)
    X_new = X_test.copy()
    X_new["colour"] = X_new["colour"].cat.add_categories(["green"])
    X_new.loc[X_new.index[:3], "colour"] = "green"
    X_new.loc[X_new.index[3:6], "colour"] = None
    proba = model.predict_proba(X_new)
    assert np.isfinite(proba).all()


def test_text_columns_without_an_encoder_get_a_clear_error():
    X, y, sd, _, _ = _frame_with_a_category(0, 20)
    X = X.astype({"colour": object})
    with pytest.raises(ValueError, match="colour"):
        SourceBoostingClassifier().fit(X, y, sample_domain=sd)


def test_regressor_early_stopping_stops():
    X, y, sd, _, _ = _concept_shift(14, 60, task="regression")
    model = SourceBoostingRegressor(
        n_estimators=500, learning_rate=0.5, n_iter_no_change=3, random_state=0
    ).fit(X, y, sample_domain=sd)
    assert model.n_estimators_ < 100
    assert model.n_estimators_ == int(np.argmin(model.validation_score_))


def test_sparse_input_boosts_as_dense():
    import scipy.sparse as sp

    X, y, sd, X_test, _ = _concept_shift(15, 40)
    source = FrozenEstimator(LogisticRegression().fit(X[sd > 0], y[sd > 0]))
    params = dict(n_estimators=10, subsample=0.8, random_state=0)
    dense = SourceBoostingClassifier(source, **params).fit(X[sd < 0], y[sd < 0])
    sparse = SourceBoostingClassifier(source, **params)
    sparse.fit(sp.csr_matrix(X[sd < 0]), y[sd < 0])
    assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X_test)), dense.predict_proba(X_test)
    )
