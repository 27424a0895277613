"""GridSearchCV over sktransfer estimators with domain-aware splitters and scorers."""

import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from sktransfer import (
    KernelMeanMatching,
    TransferComponentAnalysis,
    make_transfer_pipeline,
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
)


@pytest.fixture
def domains(shortcut_domains):
    """Factory: stacked ``X, y, sample_domain`` with ``n_labeled`` target labels."""

    def build(n_labeled):
        X, y, sample_domain, _, _ = shortcut_domains(
            0, n=150, n_labeled=n_labeled, n_noise=3
        )
        return X, y, sample_domain

    return build


def _tca_search(cv, scoring, n_jobs=None):
    pipe = make_transfer_pipeline(
        TransferComponentAnalysis(kernel="linear"), LogisticRegression()
    )
    grid = {"transfercomponentanalysis__n_components": [1, 2, 4]}
    return GridSearchCV(pipe, grid, cv=cv, scoring=scoring, n_jobs=n_jobs)


def _fit(search, X, y, sample_domain, routing):
    with config_context(enable_metadata_routing=routing):
        if routing:
            return search.fit(X, y, sample_domain=sample_domain)
        # Routing off: the splitter reads groups, the pipeline sample_domain.
        return search.fit(X, y, groups=sample_domain, sample_domain=sample_domain)


def _assert_same_search(a, b):
    assert a.best_params_ == b.best_params_
    assert_allclose(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])


def test_supervised_search_routing_on_and_off_agree(domains):
    X, y, sample_domain = domains(n_labeled=40)
    cv = TargetStratifiedKFold(4, shuffle=True, random_state=0)
    off = _fit(_tca_search(cv, TargetScorer("accuracy")), X, y, sample_domain, False)
    on = _fit(_tca_search(cv, TargetScorer("accuracy")), X, y, sample_domain, True)
    _assert_same_search(off, on)
    # Target folds hold only target rows, so the default scorer agrees too.
    plain = _fit(_tca_search(cv, None), X, y, sample_domain, False)
    _assert_same_search(off, plain)


@pytest.mark.parametrize(
    "scorer",
    [ImportanceWeightedScorer(), ReverseValidationScorer(), PredictionEntropyScorer()],
    ids=lambda s: type(s).__name__,
)
def test_label_free_search_routing_on_and_off_agree(domains, scorer):
    X, y, sample_domain = domains(n_labeled=0)
    cv = DomainShuffleSplit(3, test_size=0.3, random_state=0)
    # Routing off: the scorer finds the target rows by their -1 labels.
    off = _fit(_tca_search(cv, scorer), X, y, sample_domain, False)
    on = _fit(_tca_search(cv, scorer), X, y, sample_domain, True)
    _assert_same_search(off, on)
    assert np.isfinite(on.cv_results_["mean_test_score"]).all()


def test_search_over_a_transfer_meta_estimator_and_the_guard(domains):
    X, y, sample_domain = domains(n_labeled=40)
    cv = TargetStratifiedKFold(4, shuffle=True, random_state=0)
    search = GridSearchCV(
        NegativeTransferGuard(KernelMeanMatching(LogisticRegression()), cv=3),
        {"estimator__B": [2.0, 10.0]},
        cv=cv,
        scoring=TargetScorer(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        _fit(search, X, y, sample_domain, True)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_grid_search_on_a_dask_cluster_equals_the_default_backend(domains):
    distributed = pytest.importorskip(
        "dask.distributed", reason="needs the dask extra: pip install sktransfer[dask]"
    )
    X, y, sample_domain = domains(n_labeled=40)
    cv = TargetStratifiedKFold(4, shuffle=True, random_state=0)
    local = _fit(
        _tca_search(cv, TargetScorer("accuracy"), n_jobs=2), X, y, sample_domain, True
    )
    guard = NegativeTransferGuard(
        KernelMeanMatching(LogisticRegression()), n_jobs=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        local_guard = guard.fit(X, y, sample_domain=sample_domain).cv_results_
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as task_stream,
        parallel_backend("dask"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", NegativeTransferWarning)
        on_dask = _fit(
            _tca_search(cv, TargetScorer("accuracy"), n_jobs=2),
            X,
            y,
            sample_domain,
            True,
        )
        off_dask = _fit(
            _tca_search(cv, TargetScorer("accuracy"), n_jobs=2),
            X,
            y,
            sample_domain,
            False,
        )
        dask_guard = guard.fit(X, y, sample_domain=sample_domain).cv_results_
    # The fits ran on the cluster's workers (joblib batches them into tasks).
    assert len({task["worker"] for task in task_stream.data}) == 2
    _assert_same_search(local, on_dask)
    _assert_same_search(local, off_dask)
    assert_allclose(local_guard["fold_scores"], dask_guard["fold_scores"])
