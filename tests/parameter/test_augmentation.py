import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit, StratifiedKFold
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from sktransfer import LabeledOnly, make_transfer_pipeline
from sktransfer.datasets import make_domain_shift
from sktransfer.model_selection import NegativeTransferGuard, TargetStratifiedKFold
from sktransfer.parameter._augmentation import (
    FeatureAugmentation,
    InterpolatedTransferClassifier,
    InterpolatedTransferRegressor,
)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Many small lbfgs fits: on a busy 2-core machine BLAS threads only contend."""
    with threadpool_limits(1, user_api="blas"):
        yield


def _concept_shift(
    seed,
    n_labeled,
    *,
    task="classification",
    strength=1.0,
    noise=0.3,
    n_unlabeled=20,
    n_source=200,
    n_test=500,
):
    """Source rows, labeled then unlabeled target rows, and a target test set."""
    n_target = n_labeled + n_unlabeled
    X, y, _ = make_domain_shift(
        n_source,
        n_target + n_test,
        4,
        shift="concept",
        strength=strength,
        task=task,
        noise=noise,
        random_state=seed,
    )
    n_train = n_source + n_target
    y_train = y[:n_train].astype(float if task == "regression" else int)
    y_train[n_source + n_labeled :] = np.nan if task == "regression" else -1
    sample_domain = np.r_[np.ones(n_source, int), np.full(n_target, -2)]
    return X[:n_train], y_train, sample_domain, X[n_train:], y[n_train:]


def _labeled(X, y, rows):
    keep = rows & (~np.isnan(y) if y.dtype.kind == "f" else y != -1)
    return X[keep], y[keep]


# -- FeatureAugmentation: layout --------------------------------------------------

_X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def test_block_layout_one_source_one_target():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, -2, 1])
    assert_array_equal(augment.domains_, [-2, 1])
    assert augment.default_domain_ == -2
    expected = np.array(
        [
            [1.0, 2.0, 0.0, 0.0, 1.0, 2.0],
            [3.0, 4.0, 3.0, 4.0, 0.0, 0.0],
            [5.0, 6.0, 0.0, 0.0, 5.0, 6.0],
        ]
    )
    assert_array_equal(augment.transform(_X, sample_domain=[1, -2, 1]), expected)
    fit_transformed = FeatureAugmentation().fit_transform(_X, sample_domain=[1, -2, 1])
    assert_array_equal(fit_transformed, expected)


def test_block_layout_several_source_ids():
    X = np.arange(1.0, 9.0).reshape(4, 2)
    sample_domain = np.array([3, 0, -2, 1])
    augment = FeatureAugmentation().fit(X, sample_domain=sample_domain)
    assert_array_equal(augment.domains_, [-2, 0, 1, 3])
    out = augment.transform(X, sample_domain=sample_domain)
    assert out.shape == (4, 2 * 5)
    for row, domain in enumerate(sample_domain):
        blocks = out[row].reshape(5, 2)
        assert_array_equal(blocks[0], X[row])
        for block, block_domain in enumerate(augment.domains_, start=1):
            want = X[row] if block_domain == domain else np.zeros(2)
            assert_array_equal(blocks[block], want)
    assert augment.get_feature_names_out().tolist() == [
        f"{prefix}__x{j}"
        for prefix in ["shared", "domain_-2", "domain_0", "domain_1", "domain_3"]
        for j in range(2)
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_gives_csr_equal_to_dense_and_keeps_dtype(dtype, container):
    X = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [4.0, 5.0, 0.0]], dtype=dtype)
    sample_domain = [1, -2, 0]
    augment = FeatureAugmentation().fit(X, sample_domain=sample_domain)
    dense = augment.transform(X, sample_domain=sample_domain)
    out = augment.transform(container(X), sample_domain=sample_domain)
    assert sp.issparse(out)
    assert out.format == "csr"
    assert out.dtype == dtype
    assert dense.dtype == dtype
    assert_array_equal(out.toarray(), dense)
    assert out.nnz == np.count_nonzero(dense)  # no stored zeros
    fitted = FeatureAugmentation().fit_transform(container(X), sample_domain=[1, -2, 0])
    assert fitted.format == "csr"
    assert fitted.dtype == dtype
    assert_array_equal(fitted.toarray(), dense)


def test_integer_input_becomes_float64():
    out = FeatureAugmentation().fit_transform(np.array([[1, 2], [3, 4]]), [0, -1])
    assert out.dtype == np.float64


@pytest.mark.parametrize("sparse", [False, True])
def test_nan_is_copied_into_its_own_blocks_only(sparse):
    X = np.array([[np.nan, 1.0], [2.0, np.nan]])
    augment = FeatureAugmentation().fit(X, sample_domain=[1, -2])
    out = augment.transform(sp.csr_matrix(X) if sparse else X, sample_domain=[1, -2])
    out = out.toarray() if sparse else out
    # Blocks: shared | domain -2 | domain 1.
    expected = np.array(
        [[np.nan, 1.0, 0.0, 0.0, np.nan, 1.0], [2.0, np.nan, 2.0, np.nan, 0.0, 0.0]]
    )
    assert_array_equal(np.isnan(out), np.isnan(expected))
    assert_array_equal(np.nan_to_num(out), np.nan_to_num(expected))


def test_feature_names_out_from_dataframe_and_input_features():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(_X, columns=["age", "income"])
    augment = FeatureAugmentation().fit(frame, sample_domain=[1, -2, 1])
    assert_array_equal(augment.feature_names_in_, ["age", "income"])
    names = augment.get_feature_names_out()
    assert names.tolist() == [
        "shared__age",
        "shared__income",
        "domain_-2__age",
        "domain_-2__income",
        "domain_1__age",
        "domain_1__income",
    ]
    with pytest.raises(ValueError, match="input_features"):
        augment.get_feature_names_out(["a", "b"])
    plain = FeatureAugmentation().fit(_X, sample_domain=[1, -2, 1])
    assert plain.get_feature_names_out(["a", "b"])[:2].tolist() == [
        "shared__a",
        "shared__b",
    ]
    augment.set_output(transform="pandas")
    out = augment.transform(frame, sample_domain=[1, -2, 1])
    assert list(out.columns) == names.tolist()
    assert_array_equal(out["domain_-2__age"], [0.0, 3.0, 0.0])


# -- FeatureAugmentation: domains at transform time ---------------------------------


def test_unknown_domain_at_transform_means_target_rows():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, -2, 1])
    assert_array_equal(augment.transform(_X), augment.transform(_X, [-2, -2, -2]))
    single = FeatureAugmentation().fit(_X, sample_domain=[1, -3, 1])
    assert single.default_domain_ == -3
    assert_array_equal(single.transform(_X), single.transform(_X, [-3, -3, -3]))
    several = FeatureAugmentation().fit(_X, sample_domain=[-3, -2, 1])
    assert several.default_domain_ == -2


def test_several_target_ids_without_the_default_are_ambiguous():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, -3, -4])
    assert augment.default_domain_ is None
    with pytest.raises(ValueError, match=r"several target domains \[-4, -3\]"):
        augment.transform(_X)
    augment.transform(_X, sample_domain=[-3, -4, 1])  # explicit ids work


def test_domain_not_seen_in_fit_is_refused():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, -2, 1])
    with pytest.raises(ValueError, match=r"domain ids \[7\], not seen in fit"):
        augment.transform(_X, sample_domain=[1, 7, -2])


def test_bad_sample_domain_and_feature_count_are_refused():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, -2, 1])
    with pytest.raises(ValueError, match="3 rows"):
        augment.transform(_X, sample_domain=[1, -2])
    with pytest.raises(TypeError, match="integer domain ids"):
        augment.transform(_X, sample_domain=[1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match="3 features"):
        augment.transform(np.ones((2, 3)))


def test_no_target_row_in_fit_still_gives_the_target_a_block():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, 1, 1])
    assert_array_equal(augment.domains_, [-2, 1])
    training = augment.transform(_X, sample_domain=[1, 1, 1])
    assert_array_equal(training[:, 2:4], 0.0)
    assert_array_equal(augment.transform(_X)[:, 2:4], _X)


def test_inferred_domains_without_masked_rows_mean_no_transfer():
    for augment in [
        FeatureAugmentation().fit(_X),
        FeatureAugmentation().fit(_X, [0, 1, 0]),
    ]:
        assert_array_equal(augment.domains_, [1])
        assert augment.default_domain_ == 1
        assert_array_equal(augment.transform(_X), np.c_[_X, _X])
    masked = FeatureAugmentation()
    out = masked.fit_transform(_X, [0, -1, 1])  # the -1 row is a target row
    assert_array_equal(masked.domains_, [-2, 1])
    assert_array_equal(out[1], [3.0, 4.0, 3.0, 4.0, 0.0, 0.0])


def test_fitted_transformer_clones_and_pickles():
    augment = FeatureAugmentation().fit(_X, sample_domain=[1, -2, 0])
    restored = pickle.loads(pickle.dumps(augment))
    assert_array_equal(restored.domains_, augment.domains_)
    assert_array_equal(
        restored.transform(_X, [0, 1, -2]), augment.transform(_X, [0, 1, -2])
    )
    assert not hasattr(clone(augment), "domains_")


# -- FeatureAugmentation in a transfer pipeline --------------------------------------


def _augmented_pipeline(**params):
    return make_transfer_pipeline(FeatureAugmentation(), LogisticRegression(**params))


def test_pipeline_trains_on_labeled_rows_and_predicts_target_rows():
    X, y, sd, X_test, _ = _concept_shift(0, 20)
    pipe = _augmented_pipeline().fit(X, y, sample_domain=sd)
    augment, final = pipe[0], pipe[-1]
    assert isinstance(final, LabeledOnly)
    assert final.n_training_rows_ == 220  # the unlabeled target rows dropped
    assert_array_equal(final.estimator_.classes_, [0, 1])
    assert final.estimator_.coef_.shape == (1, 4 * 3)
    reference = LogisticRegression().fit(
        augment.transform(X[y != -1], sd[y != -1]), y[y != -1]
    )
    as_target = augment.transform(X_test, np.full(X_test.shape[0], -2))
    assert_allclose(pipe.predict_proba(X_test), reference.predict_proba(as_target))
    as_source = augment.transform(X_test, np.ones(X_test.shape[0], int))
    assert not np.allclose(
        pipe.predict_proba(X_test), reference.predict_proba(as_source)
    )


def test_pipeline_with_routing_hands_sample_domain_to_transform():
    X, y, sd, X_test, _ = _concept_shift(1, 20)
    source_ids = np.ones(X_test.shape[0], int)
    with config_context(enable_metadata_routing=True):
        pipe = _augmented_pipeline().fit(X, y, sample_domain=sd)
        as_source = pipe.predict_proba(X_test, sample_domain=source_ids)
        as_target = pipe.predict_proba(X_test)
    model = pipe[-1].estimator_
    assert_allclose(
        as_source, model.predict_proba(pipe[0].transform(X_test, source_ids))
    )
    assert_allclose(as_target, model.predict_proba(pipe[0].transform(X_test)))


def test_grid_search_over_the_final_model_with_target_folds():
    X, y, sd, X_test, y_test = _concept_shift(2, 30)
    search = GridSearchCV(
        _augmented_pipeline(),
        {"logisticregression__estimator__C": [0.01, 1.0, 100.0]},
        cv=TargetStratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y, sample_domain=sd, groups=sd)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert_array_equal(best[0].domains_, [-2, 1])
    assert best.score(X_test, y_test) > 0.7
    restored = pickle.loads(pickle.dumps(best))
    assert_array_equal(restored.predict(X_test), best.predict(X_test))
    refit = clone(best).fit(X, y, sample_domain=sd)
    assert_array_equal(refit.predict(X_test), best.predict(X_test))


def test_augmentation_beats_target_only_under_concept_shift():
    """10 target labels, the boundary turned by 22.5 degrees; paired over seeds."""
    gains = []
    for seed in range(8):
        X, y, sd, X_test, y_test = _concept_shift(
            seed, 10, strength=0.5, n_unlabeled=0, n_source=300, n_test=1000
        )
        augmented = _augmented_pipeline().fit(X, y, sample_domain=sd)
        target_only = LogisticRegression().fit(X[sd < 0], y[sd < 0])
        gains.append(
            augmented.score(X_test, y_test) - target_only.score(X_test, y_test)
        )
    gains = np.asarray(gains)
    assert gains.mean() > 0.03
    assert gains.mean() > 2 * gains.std(ddof=1) / np.sqrt(gains.shape[0])


# -- InterpolatedTransfer: the two limits --------------------------------------------


def test_weight_one_is_the_source_model_fitted_inside():
    X, y, sd, X_test, _ = _concept_shift(3, 20)
    model = InterpolatedTransferClassifier(weights=[1.0]).fit(X, y, sample_domain=sd)
    source = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    assert model.weight_ == 1.0
    assert model.cv_scores_ is None
    assert_allclose(
        model.predict_proba(X_test), source.predict_proba(X_test), atol=1e-12
    )
    assert_array_equal(model.predict(X_test), source.predict(X_test))
    assert_array_equal(model.classes_, source.classes_)


def test_weight_zero_is_the_target_only_model():
    X, y, sd, X_test, _ = _concept_shift(4, 20)
    model = InterpolatedTransferClassifier(weights=[0.0]).fit(X, y, sample_domain=sd)
    target = LogisticRegression().fit(*_labeled(X, y, sd < 0))
    assert model.n_target_rows_ == 20
    assert_allclose(
        model.predict_proba(X_test), target.predict_proba(X_test), atol=1e-12
    )
    assert_array_equal(model.predict(X_test), target.predict(X_test))


def test_regressor_limits_fitted_inside():
    X, y, sd, X_test, _ = _concept_shift(5, 20, task="regression")
    source = Ridge().fit(X[sd > 0], y[sd > 0])
    target = Ridge().fit(*_labeled(X, y, sd < 0))
    for weight, reference in ((1.0, source), (0.0, target)):
        model = InterpolatedTransferRegressor(weights=[weight])
        model.fit(X, y, sample_domain=sd)
        assert_allclose(model.predict(X_test), reference.predict(X_test), atol=1e-12)
    half = InterpolatedTransferRegressor(weights=[0.25]).fit(X, y, sample_domain=sd)
    assert_allclose(
        half.predict(X_test),
        0.25 * source.predict(X_test) + 0.75 * target.predict(X_test),
        atol=1e-12,
    )


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_frozen_source_needs_only_target_rows(task):
    X, y, sd, X_test, _ = _concept_shift(6, 30, task=task, n_unlabeled=0)
    base = LogisticRegression() if task == "classification" else Ridge()
    cls = (
        InterpolatedTransferClassifier
        if task == "classification"
        else InterpolatedTransferRegressor
    )
    method = "predict_proba" if task == "classification" else "predict"
    fitted = clone(base).fit(X[sd > 0], y[sd > 0])
    frozen = FrozenEstimator(fitted)
    Xt, yt = X[sd < 0], y[sd < 0]
    target = clone(base).fit(Xt, yt)
    for weight, reference in ((1.0, fitted), (0.0, target)):
        model = cls(frozen, weights=[weight]).fit(Xt, yt)  # sample_domain=None
        assert model.source_estimator_ is frozen
        assert model.n_target_rows_ == 30
        assert_allclose(
            getattr(model, method)(X_test),
            getattr(reference, method)(X_test),
            atol=1e-12,
        )
    # Source rows given with a frozen source model are not used.
    with_source = cls(frozen, weights=[0.0]).fit(X, y, sample_domain=sd)
    assert_allclose(
        getattr(with_source, method)(X_test), getattr(target, method)(X_test)
    )
    chosen = cls(frozen, random_state=0).fit(Xt, yt)
    assert chosen.cv_scores_.shape == (11,)


def test_without_labeled_target_rows_it_is_the_source_model():
    X, y, sd, X_test, _ = _concept_shift(7, 20)
    source = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    inferred = InterpolatedTransferClassifier().fit(X[sd > 0], y[sd > 0])
    given = InterpolatedTransferClassifier().fit(
        X[sd > 0], y[sd > 0], sample_domain=sd[sd > 0]
    )
    for model in (inferred, given):
        assert model.target_estimator_ is None
        assert model.weight_ == 1.0
        assert model.n_target_rows_ == 0
        assert_allclose(model.predict_proba(X_test), source.predict_proba(X_test))
    y_unlabeled = y.copy()
    y_unlabeled[sd < 0] = -1
    with pytest.raises(ValueError, match="needs labeled target rows"):
        InterpolatedTransferClassifier().fit(X, y_unlabeled, sample_domain=sd)


def test_fitted_inside_needs_source_rows():
    X, y, sd, _, _ = _concept_shift(8, 20)
    with pytest.raises(ValueError, match="needs source rows"):
        InterpolatedTransferClassifier().fit(X[sd < 0], y[sd < 0], sd[sd < 0])


# -- InterpolatedTransfer: choosing the weight ----------------------------------------


@pytest.mark.parametrize(
    ("cls", "task"),
    [
        (InterpolatedTransferClassifier, "classification"),
        (InterpolatedTransferRegressor, "regression"),
    ],
)
def test_cv_drops_a_useless_source_and_keeps_a_matching_one(cls, task):
    useless, matching = [], []
    for seed in range(4):
        # strength=4 flips the labelling function: the source model is wrong.
        X, y, sd, _, _ = _concept_shift(seed, 40, task=task, strength=4.0)
        useless.append(cls(random_state=seed).fit(X, y, sample_domain=sd).weight_)
        # strength=0: the target is the source distribution, with few labels.
        X, y, sd, _, _ = _concept_shift(seed, 10, task=task, strength=0.0)
        model = cls(random_state=seed).fit(X, y, sample_domain=sd)
        assert model.weight_ == np.linspace(0, 1, 11)[np.argmax(model.cv_scores_)]
        matching.append(model.weight_)
    assert max(useless) <= 0.1
    assert np.mean(matching) >= 0.7


def test_ties_go_to_the_first_best_weight():
    # Both models predict the majority class: every weight has the same accuracy.
    rng = np.random.RandomState(0)
    Xt = rng.normal(size=(30, 2))
    yt = (np.arange(30) < 24).astype(int)
    source = FrozenEstimator(DummyClassifier(strategy="most_frequent").fit(Xt, yt))
    model = InterpolatedTransferClassifier(
        source,
        DummyClassifier(strategy="prior"),
        weights=[0.3, 0.9, 0.0],
        scoring="accuracy",
        random_state=0,
    ).fit(Xt, yt)
    assert_allclose(model.cv_scores_, [0.8, 0.8, 0.8])
    assert model.weight_ == 0.3


def test_int_cv_is_shuffled_kfold_stratified_when_possible():
    X, y, sd, _, _ = _concept_shift(9, 30, task="regression")
    by_int = InterpolatedTransferRegressor(cv=3, random_state=0)
    by_int.fit(X, y, sample_domain=sd)
    by_splitter = InterpolatedTransferRegressor(
        cv=KFold(3, shuffle=True, random_state=0), random_state=0
    ).fit(X, y, sample_domain=sd)
    assert_allclose(by_int.cv_scores_, by_splitter.cv_scores_)
    X, y, sd, _, _ = _concept_shift(9, 30)
    by_int = InterpolatedTransferClassifier(cv=3, random_state=0)
    by_int.fit(X, y, sample_domain=sd)
    by_splitter = InterpolatedTransferClassifier(
        cv=StratifiedKFold(3, shuffle=True, random_state=0), random_state=0
    ).fit(X, y, sample_domain=sd)
    assert_allclose(by_int.cv_scores_, by_splitter.cv_scores_)


def test_fewer_target_rows_than_folds_is_explained():
    X, y, sd, _, _ = _concept_shift(10, 3)
    with pytest.raises(ValueError, match=r"5-fold cross-validation .* there are 3\."):
        InterpolatedTransferClassifier().fit(X, y, sample_domain=sd)
    model = InterpolatedTransferClassifier(cv=3).fit(X, y, sample_domain=sd)
    assert model.cv_scores_.shape == (11,)
    InterpolatedTransferClassifier(weights=[0.5]).fit(X, y, sample_domain=sd)


def test_folds_that_do_not_partition_the_target_rows_are_refused():
    X, y, sd, _, _ = _concept_shift(11, 20, task="regression")
    splitter = ShuffleSplit(3, test_size=0.2, random_state=0)
    with pytest.raises(ValueError, match="test each of them exactly once"):
        InterpolatedTransferRegressor(cv=splitter).fit(X, y, sample_domain=sd)


@pytest.mark.parametrize("weights", [[], [0.5, 1.5], [-0.1], [np.nan]])
def test_weights_outside_the_unit_interval_are_refused(weights):
    X, y, sd, _, _ = _concept_shift(12, 20)
    with pytest.raises(ValueError, match=r"mixing weights in \[0, 1\]"):
        InterpolatedTransferClassifier(weights=weights).fit(X, y, sample_domain=sd)


# -- InterpolatedTransfer: classes -----------------------------------------------------


def test_one_class_among_the_target_rows():
    X, y, sd, X_test, _ = _concept_shift(13, 20)
    labeled = np.flatnonzero((sd < 0) & (y != -1))
    y_one = y.copy()
    y_one[labeled] = 1
    model = InterpolatedTransferClassifier(weights=[0.0])
    model.fit(X, y_one, sample_domain=sd)
    assert isinstance(model.target_estimator_, DummyClassifier)
    assert_array_equal(model.classes_, [0, 1])
    assert_allclose(model.predict_proba(X_test), np.tile([0.0, 1.0], (500, 1)))
    chosen = InterpolatedTransferClassifier(random_state=0)
    chosen.fit(X, y_one, sample_domain=sd)  # folds of one class
    assert np.all(np.isfinite(chosen.cv_scores_))


def test_a_class_only_the_target_knows():
    X, y, sd, X_test, _ = _concept_shift(14, 30)
    labeled = np.flatnonzero((sd < 0) & (y != -1))
    y_new = y.copy()
    y_new[labeled[:10]] = 2
    model = InterpolatedTransferClassifier(weights=[0.4]).fit(X, y_new, sd)
    assert_array_equal(model.classes_, [0, 1, 2])
    source = model.source_estimator_
    assert_array_equal(source.classes_, [0, 1])
    target = model.target_estimator_
    proba = model.predict_proba(X_test)
    assert_allclose(proba[:, 2], 0.6 * target.predict_proba(X_test)[:, 2])
    assert_allclose(
        proba[:, :2],
        0.4 * source.predict_proba(X_test) + 0.6 * target.predict_proba(X_test)[:, :2],
    )
    assert_allclose(proba.sum(axis=1), 1.0)
    only_source = InterpolatedTransferClassifier(weights=[1.0]).fit(X, y_new, sd)
    assert_array_equal(only_source.predict_proba(X_test)[:, 2], 0.0)
    InterpolatedTransferClassifier(random_state=0).fit(X, y_new, sd)  # CV runs


def test_a_class_only_the_source_knows():
    X, y, sd, X_test, _ = _concept_shift(15, 30, n_unlabeled=0)
    y_source = np.where(X[:, 2] > 1.0, 2, y)
    source = LogisticRegression().fit(X[sd > 0], y_source[sd > 0])
    model = InterpolatedTransferClassifier(FrozenEstimator(source), weights=[0.5])
    model.fit(X[sd < 0], y[sd < 0])
    assert_array_equal(model.classes_, [0, 1, 2])
    target = model.target_estimator_
    assert_array_equal(target.classes_, [0, 1])
    proba = model.predict_proba(X_test)
    assert_allclose(proba[:, 2], 0.5 * source.predict_proba(X_test)[:, 2])
    assert_allclose(proba.sum(axis=1), 1.0)


def test_string_classes_and_dataframe_columns():
    pd = pytest.importorskip("pandas")
    X, y, sd, X_test, y_test = _concept_shift(16, 30, n_unlabeled=0)
    columns = ["a", "b", "c", "d"]
    frame, frame_test = (
        pd.DataFrame(X, columns=columns),
        pd.DataFrame(X_test, columns=columns),
    )
    names = np.array(["no", "yes"])[y]
    source = LogisticRegression().fit(frame[sd > 0], names[sd > 0])
    model = InterpolatedTransferClassifier(FrozenEstimator(source), random_state=0)
    model.fit(frame[sd < 0], names[sd < 0])
    assert_array_equal(model.classes_, ["no", "yes"])
    assert_array_equal(model.feature_names_in_, columns)
    assert set(model.predict(frame_test)) <= {"no", "yes"}
    assert model.score(frame_test, np.array(["no", "yes"])[y_test]) > 0.6


# -- InterpolatedTransfer: weights, outputs, errors ----------------------------------


def test_sample_weight_is_row_repetition():
    X, y, sd, X_test, _ = _concept_shift(17, 20, task="regression", n_unlabeled=0)
    weights = np.ones(X.shape[0])
    weights[::7] = 3.0
    repeat = np.repeat(np.arange(X.shape[0]), weights.astype(int))
    model = InterpolatedTransferRegressor(weights=[0.3])
    weighted = model.fit(X, y, sd, sample_weight=weights).predict(X_test)
    repeated = model.fit(X[repeat], y[repeat], sd[repeat]).predict(X_test)
    assert_allclose(weighted, repeated, atol=1e-10)
    weights[::7] = 0.0
    dropped = model.fit(X, y, sd, sample_weight=weights).predict(X_test)
    kept = weights > 0
    assert_allclose(dropped, model.fit(X[kept], y[kept], sd[kept]).predict(X_test))


def test_classifier_sample_weight_reaches_both_models():
    X, y, sd, X_test, _ = _concept_shift(18, 30, n_unlabeled=0)
    weights = np.ones(X.shape[0])
    weights[::5] = 2.0
    repeat = np.repeat(np.arange(X.shape[0]), weights.astype(int))
    precise = LogisticRegression(tol=1e-10, max_iter=1000)
    model = InterpolatedTransferClassifier(precise, precise, weights=[0.5])
    weighted = model.fit(X, y, sd, sample_weight=weights).predict_proba(X_test)
    repeated = model.fit(X[repeat], y[repeat], sd[repeat]).predict_proba(X_test)
    assert_allclose(weighted, repeated, atol=1e-6)
    # The weights enter the choice of the weight too.
    chosen = InterpolatedTransferClassifier(random_state=0)
    plain = chosen.fit(X, y, sd).cv_scores_
    assert not np.allclose(
        plain, chosen.fit(X, y, sd, sample_weight=weights).cv_scores_
    )


def test_target_rows_of_zero_weight_are_refused():
    X, y, sd, _, _ = _concept_shift(18, 20, n_unlabeled=0)
    weights = np.where(sd < 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="every labeled target row weight 0"):
        InterpolatedTransferClassifier().fit(X, y, sd, sample_weight=weights)


def test_regressor_takes_several_outputs():
    X, y, sd, X_test, _ = _concept_shift(19, 30, task="regression")
    Y = np.c_[y, 2 * y - X[:, 1]]
    Y[sd.shape[0] - 25, 1] = np.nan  # one more unlabeled target row
    model = InterpolatedTransferRegressor(weights=[0.0]).fit(X, Y, sample_domain=sd)
    assert model.n_target_rows_ == 29
    target = Ridge().fit(*_labeled(X, Y[:, 1], (sd < 0) & ~np.isnan(Y[:, 0])))
    assert model.predict(X_test).shape == (500, 2)
    assert_allclose(model.predict(X_test)[:, 1], target.predict(X_test), atol=1e-10)
    chosen = InterpolatedTransferRegressor(random_state=0).fit(X, Y, sample_domain=sd)
    assert chosen.cv_scores_.shape == (11,)
    assert chosen.predict(X_test).shape == (500, 2)


def test_source_model_without_predict_proba_is_refused():
    X, y, sd, _, _ = _concept_shift(20, 20)
    with pytest.raises(TypeError, match="source model LinearSVC has no predict_proba"):
        InterpolatedTransferClassifier(LinearSVC()).fit(X, y, sample_domain=sd)
    frozen = FrozenEstimator(LinearSVC().fit(X[sd > 0], y[sd > 0]))
    with pytest.raises(TypeError, match="source model LinearSVC has no predict_proba"):
        InterpolatedTransferClassifier(frozen).fit(X[sd < 0][:20], y[sd < 0][:20])
    with pytest.raises(TypeError, match="target model LinearSVC has no predict_proba"):
        InterpolatedTransferClassifier(None, LinearSVC()).fit(X, y, sample_domain=sd)


def test_feature_count_differing_from_the_source_model_is_refused():
    X, y, sd, _, _ = _concept_shift(21, 20, n_unlabeled=0)
    frozen = FrozenEstimator(LogisticRegression().fit(X[sd > 0], y[sd > 0]))
    with pytest.raises(
        ValueError, match="source model expects 4 features, but X has 3"
    ):
        InterpolatedTransferClassifier(frozen).fit(X[sd < 0][:, :3], y[sd < 0])


def test_score_leaves_unlabeled_rows_out():
    X, y, sd, X_test, y_test = _concept_shift(22, 20)
    model = InterpolatedTransferClassifier(random_state=0).fit(X, y, sample_domain=sd)
    y_masked = y_test.copy()
    y_masked[:100] = -1
    assert model.score(X_test, y_masked) == model.score(X_test[100:], y_test[100:])


def test_deterministic_clone_and_pickle():
    X, y, sd, X_test, _ = _concept_shift(23, 30)
    model = InterpolatedTransferClassifier(random_state=0).fit(X, y, sample_domain=sd)
    again = clone(model).fit(X, y, sample_domain=sd)
    assert_array_equal(model.cv_scores_, again.cv_scores_)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X_test), model.predict_proba(X_test))


# -- InterpolatedTransfer in model selection ------------------------------------------


def test_pipeline_with_routing_hands_sample_domain_to_predict_proba():
    from sklearn.preprocessing import StandardScaler

    X, y, sd, X_test, _ = _concept_shift(27, 20)
    pipe = make_transfer_pipeline(
        StandardScaler(), InterpolatedTransferClassifier(random_state=0)
    )
    with config_context(enable_metadata_routing=True):
        pipe.fit(X, y, sample_domain=sd)
        target_ids = np.full(X_test.shape[0], -2)
        proba = pipe.predict_proba(X_test, sample_domain=target_ids)
        assert_array_equal(
            pipe.predict(X_test, sample_domain=target_ids), pipe.predict(X_test)
        )
    assert_allclose(proba, pipe[-1].predict_proba(pipe[0].transform(X_test)))


def test_grid_search_over_weights_with_target_folds():
    X, y, sd, _, _ = _concept_shift(24, 40, strength=4.0)  # the source is wrong
    search = GridSearchCV(
        InterpolatedTransferClassifier(),
        {"weights": [[0.0], [0.5], [1.0]]},
        cv=TargetStratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y, sample_domain=sd, groups=sd)
    assert search.best_params_ == {"weights": [0.0]}
    assert search.best_estimator_.weight_ == 0.0


def test_negative_transfer_guard_with_a_baseline_learner():
    X, y, sd, _, _ = _concept_shift(25, 40)
    guard = NegativeTransferGuard(
        InterpolatedTransferClassifier(random_state=0),
        baseline=LogisticRegression(),
        cv=3,
        random_state=0,
    )
    guard.fit(X, y, sample_domain=sd)
    assert guard.cv_results_["candidate"][0] == "transfer"
    assert np.all(np.isfinite(guard.cv_results_["mean_score"]))
    assert guard.selected_ in guard.cv_results_["candidate"]
    augmented = NegativeTransferGuard(_augmented_pipeline(), cv=3, random_state=0)
    augmented.fit(X, y, sample_domain=sd)  # the pipeline's baseline is found
    assert np.all(np.isfinite(augmented.cv_results_["mean_score"]))


# Weight 0 is the target-only model, so either may win on 3 folds.
@pytest.mark.filterwarnings(
    "ignore::sktransfer.model_selection.NegativeTransferWarning"
)
def test_negative_transfer_guard_finds_the_baseline_learner():
    X, y, sd, _, _ = _concept_shift(26, 40, task="regression")
    guard = NegativeTransferGuard(InterpolatedTransferRegressor(), cv=3)
    guard.fit(X, y, sample_domain=sd)
    assert guard.selected_ in guard.cv_results_["candidate"]
    assert np.all(np.isfinite(guard.cv_results_["mean_score"]))
    if guard.selected_ != "transfer":
        assert isinstance(guard.estimator_.estimator_, Ridge)
