"""Tree transfer: relabel, SER and STRUT on cases with a known answer, and the
transferred tree as a scikit-learn tree."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier, export_text, plot_tree
from sklearn.tree._tree import TREE_LEAF

from sktransfer import stack_domains
from sktransfer.model_selection import TargetShuffleSplit
from sktransfer.parameter import TransferForestClassifier, TransferTreeClassifier

ALGORITHMS = ["relabel", "ser", "strut"]


def _source(seed=0, n=400):
    """Two features on the unit square; the class is a staircase of both."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, 2))
    y = ((X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0.3)) % 2
    return X, y


def _stack(X_source, y_source, X_target, y_target):
    return stack_domains(source=(X_source, y_source), target=(X_target, y_target))


def _structure(tree):
    t = tree.tree_
    return t.children_left, t.children_right, t.feature, t.threshold


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_target_identical_to_the_source_leaves_the_tree_unchanged(algorithm):
    X, y = _source()
    model = TransferTreeClassifier(algorithm=algorithm, random_state=0)
    model.fit(*_stack(X, y, X, y)[:2], sample_domain=_stack(X, y, X, y)[2])
    source = model.source_estimator_
    for ours, theirs in zip(_structure(model.estimator_), _structure(source)):
        assert_array_equal(ours, theirs)
    assert_allclose(model.tree_.value, source.tree_.value)
    assert_array_equal(model.predict(X), source.predict(X))
    assert model.changes_["expanded"] == model.changes_["pruned"] == 0
    assert model.changes_["rethresholded"] == model.changes_["removed"] == 0
    assert model.rules_diff() == ""


def _leaf_region(tree, X):
    """The leaf with the most rows and the mask of the rows that reach it."""
    leaves = tree.apply(X)
    biggest = np.bincount(leaves).argmax()
    return biggest, leaves == biggest


def test_relabel_flips_exactly_the_leaf_whose_labels_flip():
    X, y = _source()
    source = DecisionTreeClassifier(random_state=0).fit(X, y)
    leaf, region = _leaf_region(source, X)
    y_target = np.where(region, 1 - y, y)
    X_all, y_all, sd = _stack(X, y, X, y_target)
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="relabel").fit(
        X_all[sd < 0], y_all[sd < 0]
    )
    changed = np.flatnonzero(
        ~np.isclose(model.tree_.value, source.tree_.value).all(axis=(1, 2))
    )
    leaves = np.flatnonzero(source.tree_.children_left == TREE_LEAF)
    assert set(changed) & set(leaves) == {leaf}
    assert_array_equal(model.predict(X), y_target)
    for ours, theirs in zip(_structure(model.estimator_), _structure(source)):
        assert_array_equal(ours, theirs)


def test_ser_regrows_exactly_the_region_whose_labels_change():
    X, y = _source()
    source = DecisionTreeClassifier(random_state=0).fit(X, y)
    leaf, region = _leaf_region(source, X)
    # Inside that leaf only, the target's class depends on a new cut.
    cut = np.median(X[region, 0])
    y_target = np.where(region & (X[:, 0] > cut), 1 - y, y)
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="ser")
    model.fit(X, y_target)
    assert_array_equal(model.predict(X), y_target)
    # Rows outside the region end in leaves that predict as the source's did,
    # through the same splits.
    outside = ~region
    assert_array_equal(model.predict(X[outside]), source.predict(X[outside]))
    assert model.changes_["expanded"] >= 3  # the leaf and two children
    assert model.changes_["pruned"] == model.changes_["removed"] == 0
    # The leaf became the root of the grown subtree.
    assert (
        model.tree_.node_count
        == source.tree_.node_count + model.changes_["expanded"] - 1
    )
    diff = model.rules_diff()
    added = [line for line in diff.splitlines() if line.startswith("+|")]
    removed = [line for line in diff.splitlines() if line.startswith("-|")]
    assert added
    # Only the expanded leaf's line goes (its class line becomes a split).
    assert len(removed) == 1


def test_ser_prunes_a_split_the_target_no_longer_needs():
    X, y = _source()
    source = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    # The target's class is feature 0's side alone: the second-level splits
    # change no target prediction.
    y_target = (X[:, 0] > 0.5).astype(int)
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="ser")
    model.fit(X, y_target)
    assert model.changes_["pruned"] >= 1
    assert model.changes_["removed"] >= 2
    assert model.score(X, y_target) == 1.0
    assert model.tree_.node_count < source.tree_.node_count


def test_strut_moves_thresholds_by_a_known_shift():
    X, y = _source()
    source = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    shift = np.array([0.25, -0.125])
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="strut")
    model.fit(X + shift, y)
    internal = source.tree_.children_left != TREE_LEAF
    assert_array_equal(model.tree_.feature, source.tree_.feature)
    assert_array_equal(model.tree_.children_left, source.tree_.children_left)
    assert_allclose(
        model.tree_.threshold[internal],
        source.tree_.threshold[internal] + shift[source.tree_.feature[internal]],
        atol=1e-6,
    )
    assert_array_equal(model.predict(X + shift), source.predict(X))
    assert model.changes_["rethresholded"] == internal.sum()


def test_strut_swaps_children_when_the_target_reverses_a_split():
    rng = np.random.RandomState(1)
    X = rng.uniform(size=(300, 1))
    y = (X[:, 0] > 0.5).astype(int)
    source = DecisionTreeClassifier(max_depth=1).fit(X, y)
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="strut")
    model.fit(X, 1 - y)
    assert model.score(X, 1 - y) == 1.0
    assert_allclose(model.tree_.threshold[0], source.tree_.threshold[0])


def test_strut_makes_a_node_with_one_target_class_a_leaf():
    X, y = _source()
    source = DecisionTreeClassifier(random_state=0).fit(X, y)
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="strut")
    model.fit(X, np.zeros_like(y))
    assert model.tree_.node_count == 1
    assert model.changes_["pruned"] == 1
    assert model.changes_["removed"] == source.tree_.node_count - 1
    assert_array_equal(model.predict(X), 0)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_transferred_tree_is_a_consistent_sklearn_tree(algorithm):
    X, y = _source()
    rng = np.random.RandomState(2)
    X_target = rng.uniform(size=(60, 2))
    y_target = ((X_target[:, 0] > 0.6).astype(int) + (X_target[:, 1] > 0.3)) % 2
    X_all, y_all, sd = _stack(X, y, X_target, y_target)
    model = TransferTreeClassifier(algorithm=algorithm, random_state=0)
    model.fit(X_all, y_all, sample_domain=sd)
    tree = model.tree_
    # Node statistics are the target rows'.
    assert tree.n_node_samples[0] == 60
    assert_allclose(tree.weighted_n_node_samples[0], 60)
    leaves = model.apply(X_target)
    counts = np.bincount(leaves, minlength=tree.node_count)
    is_leaf = tree.children_left == TREE_LEAF
    assert_array_equal(counts[is_leaf], tree.n_node_samples[is_leaf])
    # Children's counts add up to their parent's.
    internal = np.flatnonzero(~is_leaf)
    assert_array_equal(
        tree.n_node_samples[internal],
        tree.n_node_samples[tree.children_left[internal]]
        + tree.n_node_samples[tree.children_right[internal]],
    )
    proba = model.predict_proba(X_target)
    assert_allclose(proba, tree.value[leaves, 0])
    assert_allclose(proba.sum(axis=1), 1.0)
    path = model.decision_path(X_target)
    assert_array_equal(path[np.arange(60), leaves].A1, 1)
    assert "class" in export_text(model.estimator_)
    assert np.isfinite(model.estimator_.feature_importances_).all()
    assert tree.max_depth == model.estimator_.get_depth()
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X_target), model.predict(X_target))


def test_plot_tree_draws_the_transferred_tree():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    X, y = _source()
    model = TransferTreeClassifier(algorithm="ser", random_state=0).fit(
        *_stack(X, y, X[:50], 1 - y[:50])[:2],
        sample_domain=_stack(X, y, X[:50], 1 - y[:50])[2],
    )
    assert plot_tree(model.estimator_)


def test_fitted_inside_with_a_seed_is_deterministic_and_grid_searchable():
    X, y = _source()
    rng = np.random.RandomState(3)
    X_target = rng.uniform(size=(80, 2))
    y_target = ((X_target[:, 0] > 0.65).astype(int) + (X_target[:, 1] > 0.3)) % 2
    X_all, y_all, sd = _stack(X, y, X_target, y_target)
    first = TransferTreeClassifier(random_state=0).fit(X_all, y_all, sample_domain=sd)
    again = TransferTreeClassifier(random_state=0).fit(X_all, y_all, sample_domain=sd)
    assert_array_equal(first.tree_.threshold, again.tree_.threshold)
    search = GridSearchCV(
        TransferTreeClassifier(random_state=0),
        {"algorithm": ALGORITHMS, "max_depth": [3, None]},
        cv=TargetShuffleSplit(n_splits=2, random_state=0),
    )
    search.fit(X_all, y_all, groups=sd, sample_domain=sd)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_errors_name_the_problem():
    X, y = _source()
    X_all, y_all, sd = _stack(X, y, X[:20], y[:20])
    with pytest.raises(TypeError, match="single-output DecisionTreeClassifier"):
        TransferTreeClassifier(LogisticRegression()).fit(X_all, y_all, sample_domain=sd)
    source = DecisionTreeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="fitted on 2"):
        TransferTreeClassifier(FrozenEstimator(source)).fit(np.zeros((10, 3)), y[:10])
    with pytest.raises(ValueError, match="not classes of the source tree"):
        TransferTreeClassifier(FrozenEstimator(source)).fit(X[:10], np.full(10, 7))
    with pytest.raises(ValueError, match="labeled target rows"):
        TransferTreeClassifier().fit(
            X_all, np.where(sd < 0, -1, y_all), sample_domain=sd
        )


# -- forests --------------------------------------------------------------------------


def _forest(**params):
    return RandomForestClassifier(n_estimators=8, random_state=0, **params)


def test_forest_with_a_target_identical_to_the_source_keeps_every_tree():
    X, y = _source()
    source = _forest(bootstrap=False, max_features=None).fit(X, y)
    for algorithm in ALGORITHMS:
        forest = TransferForestClassifier(
            FrozenEstimator(source), algorithm=algorithm
        ).fit(X, y)
        for ours, theirs in zip(forest.estimators_, source.estimators_):
            for a, b in zip(_structure(ours), _structure(theirs)):
                assert_array_equal(a, b)
        assert_allclose(forest.predict_proba(X), source.predict_proba(X))


def _shifted_target(seed=4, n=60):
    rng = np.random.RandomState(seed)
    X_target = rng.uniform(size=(n + 400, 2))
    y_target = ((X_target[:, 0] > 0.7).astype(int) + (X_target[:, 1] > 0.3)) % 2
    return X_target[:n], y_target[:n], X_target[n:], y_target[n:]


@pytest.mark.parametrize("algorithm", ["ser", "strut"])
def test_forest_refined_on_a_moved_boundary_beats_the_source_forest(algorithm):
    X, y = _source()
    X_target, y_target, X_test, y_test = _shifted_target()
    source = _forest().fit(X, y)
    forest = TransferForestClassifier(
        FrozenEstimator(source), algorithm=algorithm, random_state=0
    ).fit(X_target, y_target)
    assert forest.score(X_test, y_test) > source.score(X_test, y_test) + 0.05
    assert len(forest.changes_) == 8
    diff = forest.rules_diff(3, feature_names=["a", "b"])
    assert diff.startswith("--- source tree")
    assert "|--- a <=" in diff or "|--- b <=" in diff
    with pytest.raises(ValueError, match="not a tree of the forest"):
        forest.rules_diff(8)


def test_forest_is_deterministic_and_parallel_gives_the_same_trees():
    X, y = _source()
    X_target, y_target, X_test, _ = _shifted_target()
    X_all, y_all, sd = _stack(X, y, X_target, y_target)
    settings = dict(bootstrap_target=True, random_state=0)
    one = TransferForestClassifier(_forest(), **settings).fit(
        X_all, y_all, sample_domain=sd
    )
    two = TransferForestClassifier(_forest(), n_jobs=2, **settings).fit(
        X_all, y_all, sample_domain=sd
    )
    assert_allclose(one.predict_proba(X_test), two.predict_proba(X_test))
    # Each tree had its own bootstrap of the target rows.
    roots = {tree.tree_.n_node_samples[0] for tree in one.estimators_}
    assert max(roots) <= 60
    weighted = {
        round(tree.tree_.weighted_n_node_samples[0]) for tree in one.estimators_
    }
    assert weighted == {60}
    restored = pickle.loads(pickle.dumps(one))
    assert_array_equal(restored.predict(X_test), one.predict(X_test))


def test_forest_refuses_a_single_tree():
    X, y = _source()
    with pytest.raises(TypeError, match="RandomForestClassifier"):
        TransferForestClassifier(DecisionTreeClassifier()).fit(
            *_stack(X, y, X[:10], y[:10])[:2],
            sample_domain=_stack(X, y, X[:10], y[:10])[2],
        )


def test_sparse_rows_give_the_dense_result():
    from scipy import sparse

    X, y = _source()
    X = np.where(X > 0.2, X, 0.0)
    X_target, y_target, X_test, _ = _shifted_target()
    X_all, y_all, sd = _stack(X, y, X_target, y_target)
    for model in (
        TransferTreeClassifier(algorithm="strut", random_state=0),
        TransferForestClassifier(_forest(), algorithm="ser", random_state=0),
    ):
        dense = model.fit(X_all, y_all, sample_domain=sd).predict_proba(X_test)
        from_sparse = model.fit(
            sparse.csr_matrix(X_all), y_all, sample_domain=sd
        ).predict_proba(sparse.csr_matrix(X_test))
        assert_allclose(from_sparse, dense)


def test_the_guard_compares_tree_transfer_with_tree_baselines():
    from sktransfer.model_selection import (
        NegativeTransferGuard,
        NegativeTransferWarning,
    )

    X, y = _source()
    X_target, y_target, X_test, y_test = _shifted_target(n=80)
    X_all, y_all, sd = _stack(X, y, X_target, y_target)
    guard = NegativeTransferGuard(
        TransferTreeClassifier(algorithm="strut", random_state=0),
        cv=3,
        random_state=0,
    )
    # Which candidate it keeps on this toy data is not the point.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        guard.fit(X_all, y_all, sample_domain=sd)
    assert set(guard.cv_results_["candidate"]) >= {"transfer", "target_only"}
    assert np.isfinite(guard.cv_results_["mean_score"]).all()
    assert guard.score(X_test, y_test) > 0.8


def test_strut_with_adapted_priors_ignores_a_change_of_class_balance():
    """The boundary is the same; the target only has fewer positives. Plain
    STRUT moves the threshold to match the class proportions; with the
    priors adapted it stays near the boundary (measured: 0.75-0.88 against
    0.53-0.56 for a boundary at 0.5, over three seeds)."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(2000, 1))
    y = (X[:, 0] + rng.normal(0, 0.15, 2000) > 0.5).astype(int)
    source = DecisionTreeClassifier(max_depth=1).fit(X, y)
    X_target = rng.uniform(size=(3000, 1))
    y_target = (X_target[:, 0] + rng.normal(0, 0.15, 3000) > 0.5).astype(int)
    kept = (y_target == 0) | (rng.uniform(size=3000) < 0.15)
    X_target, y_target = X_target[kept][:300], y_target[kept][:300]
    plain, adapted = (
        TransferTreeClassifier(
            FrozenEstimator(source), algorithm="strut", adapt_priors=flag
        )
        .fit(X_target, y_target)
        .tree_.threshold[0]
        for flag in (False, True)
    )
    assert abs(adapted - 0.5) < 0.1
    assert abs(plain - 0.5) > 0.2
    # With the source's own class balance the ratio is 1: nothing changes.
    same = [
        TransferTreeClassifier(
            FrozenEstimator(source), algorithm="strut", adapt_priors=flag
        )
        .fit(X, y)
        .tree_.threshold
        for flag in (False, True)
    ]
    assert_allclose(same[0], same[1])


def test_rows_are_routed_as_sklearn_routes_them_at_float32_ties():
    """A float32 value equal to float32(threshold) but above the float64
    threshold goes right, as in scikit-learn."""
    a = np.nextafter(np.float32(1000), np.float32(2000))
    b = np.nextafter(a, np.float32(2000))
    source = DecisionTreeClassifier().fit(np.array([[a], [b]], np.float32), [0, 1])
    X_target = np.array([[b], [b]], np.float32)
    model = TransferTreeClassifier(FrozenEstimator(source), algorithm="relabel")
    model.fit(X_target, [0, 0])
    assert_array_equal(model.predict(X_target[:1]), [0])
    assert_array_equal(model.apply(X_target), source.apply(X_target))
