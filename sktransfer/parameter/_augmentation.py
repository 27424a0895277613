"""Feature augmentation and linear interpolation (Daumé III, 2007).

:class:`FeatureAugmentation` copies each row into a shared block and into the
block of its own domain, so one model fitted on the pooled rows learns shared
weights and per-domain corrections. :class:`InterpolatedTransferClassifier`
and :class:`InterpolatedTransferRegressor` mix a source-only and a
target-only model, the mixing weight chosen by cross-validation on the
labeled target rows (Daumé's LININT baseline).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _num_features,
    check_is_fitted,
    validate_data,
)

from .._domain import DEFAULT_TARGET_ID, check_sample_domain
from ..base import (
    BaseTransferTransformer,
    LabeledRowsScoreMixin,
    copy_input_attributes,
    seed_nested_estimators,
)
from ._source import BaseSourceTransfer, unfrozen

__all__ = [
    "FeatureAugmentation",
    "InterpolatedTransferClassifier",
    "InterpolatedTransferRegressor",
]

_DEFAULT_WEIGHTS = np.linspace(0.0, 1.0, 11)


# -- feature augmentation ---------------------------------------------------------


def _default_domain(domains):
    """The domain id that ``sample_domain=None`` means at transform time."""
    targets = domains[domains < 0]
    if DEFAULT_TARGET_ID in targets:
        return DEFAULT_TARGET_ID
    if targets.size == 1:
        return int(targets[0])
    if targets.size == 0:
        # Inferred domains without a masked row: every row is source, there
        # is no transfer, and rows of unknown domain are of that one domain.
        return int(domains[0])
    return None


class FeatureAugmentation(BaseTransferTransformer):
    """Copy each row into a shared block and its own domain's block.

    The "frustratingly easy" domain adaptation of Daumé III (2007): with one
    source and one target domain, a row ``x`` becomes
    ``[x | x if source else 0 | x if target else 0]``. A linear model fitted
    on the pooled, augmented rows learns weights shared by the domains plus a
    correction per domain, and its regularisation decides how much the
    domains share. With several domain ids there is one block per id seen in
    ``fit``, ordered by id (so targets, negative, come first).

    Rows to transform need their domain: ``transform(X, sample_domain=sd)``.
    ``sample_domain=None`` means the rows are target rows (the library's
    convention), of the target id seen in ``fit`` (``-2`` when it is among
    several; with several other target ids, pass ``sample_domain``). In a
    :class:`~sktransfer.TransferPipeline`, ``fit`` gets the training rows'
    ``sample_domain``; ``predict`` then transforms its rows as target rows,
    which is what a model trained to predict the target wants. With metadata
    routing on, ``transform`` requests ``sample_domain`` by default, so
    ``pipe.predict(X, sample_domain=sd)`` hands it on.

    When ``fit`` sees no target row, the target id ``-2`` still gets a
    block (zero on every training row), so target rows can be transformed;
    except when ``sample_domain`` was inferred and no row is masked: then
    there is no transfer, every row is of the one source domain, and rows of
    unknown domain are taken to be of it too.

    Dense input gives a dense array, sparse input a CSR matrix; the dtype
    (float32 or float64) is kept. NaN values are copied as they are.

    Attributes
    ----------
    domains_ : ndarray of int64 of shape (n_domains,)
        The domain ids that have a block, in block order.
    default_domain_ : int or None
        The domain of rows transformed with ``sample_domain=None``; None when
        it is ambiguous (then ``sample_domain`` is required).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    InterpolatedTransferClassifier : Daumé's LININT baseline, for classes.

    References
    ----------
    .. [1] H. Daumé III, "Frustratingly Easy Domain Adaptation", Proceedings
       of the 45th Annual Meeting of the Association for Computational
       Linguistics (ACL), pp. 256-263, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.parameter import FeatureAugmentation
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> augment = FeatureAugmentation().fit(X, sample_domain=[1, -2])
    >>> augment.transform(X, sample_domain=[1, -2])
    array([[1., 2., 0., 0., 1., 2.],
           [3., 4., 3., 4., 0., 0.]])
    >>> augment.transform(X)  # rows of unknown domain are target rows
    array([[1., 2., 1., 2., 0., 0.],
           [3., 4., 3., 4., 0., 0.]])
    >>> augment.get_feature_names_out().tolist()[:3]
    ['shared__x0', 'shared__x1', 'domain_-2__x0']
    """

    __metadata_request__transform = {"sample_domain": True}

    _parameter_constraints = {}

    _domain_checks = {
        **BaseTransferTransformer._domain_checks,
        "multi_output": True,
        "need_source": False,
        "accept_sparse": "csr",
        "dtype": [np.float64, np.float32],
        "ensure_all_finite": "allow-nan",
    }

    def __init__(self):
        pass

    def _fit(self, data):
        domains = np.unique(data.sample_domain)
        no_transfer = data.domain_inferred and domains.size == 1
        if not (domains < 0).any() and not no_transfer:
            domains = np.union1d(domains, [DEFAULT_TARGET_ID])
        self.domains_ = domains.astype(np.int64)
        self.default_domain_ = _default_domain(self.domains_)
        return self

    def _fit_transform(self, data):
        return self._fit(data)._augment(data.X, data.sample_domain)

    def transform(self, X, sample_domain=None):
        """Augment rows: the shared block, then one block per domain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain seen in ``fit``.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain id of each row; None means every row is a target row
            (``default_domain_``).

        Returns
        -------
        X_new : {ndarray, CSR matrix} of shape (n_samples, n_features * (1 + n_domains))
            The augmented rows, sparse when ``X`` is.

        Raises
        ------
        ValueError
            For a domain id not seen in ``fit``, ``sample_domain=None`` when
            ``fit`` saw several target ids, or a feature count other than in
            ``fit``.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
        return self._augment(X, self._transform_domains(sample_domain, X.shape[0]))

    def _transform_domains(self, sample_domain, n_samples):
        if sample_domain is None:
            if self.default_domain_ is None:
                raise ValueError(
                    "FeatureAugmentation was fitted on several target domains "
                    f"{self.domains_[self.domains_ < 0].tolist()}, none of them -2, so "
                    "rows of unknown domain are ambiguous. Pass transform(X, "
                    "sample_domain=...) with one of the ids seen in fit."
                )
            return np.full(n_samples, self.default_domain_, dtype=np.int64)
        sample_domain = check_sample_domain(sample_domain, n_samples)
        unseen = np.setdiff1d(sample_domain, self.domains_)
        if unseen.size:
            raise ValueError(
                f"sample_domain holds the domain ids {unseen.tolist()}, not seen in "
                f"fit (which saw {self.domains_.tolist()}); each domain's block is "
                "learned in fit. Refit with rows of those domains, or map them to a "
                "seen id."
            )
        return sample_domain

    def _augment(self, X, sample_domain):
        if sp.issparse(X):
            blocks = [X]
            for domain in self.domains_:
                keep = sp.diags((sample_domain == domain).astype(X.dtype))
                blocks.append(keep @ X)
            augmented = sp.hstack(blocks, format="csr", dtype=X.dtype)
            augmented.eliminate_zeros()
            return augmented
        n_features = X.shape[1]
        augmented = np.zeros(
            (X.shape[0], n_features * (1 + self.domains_.size)), dtype=X.dtype
        )
        augmented[:, :n_features] = X
        for block, domain in enumerate(self.domains_, start=1):
            rows = sample_domain == domain
            augmented[rows, block * n_features : (block + 1) * n_features] = X[rows]
        return augmented

    def get_feature_names_out(self, input_features=None):
        """Names of the augmented features: ``shared__f``, then ``domain_<id>__f``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input feature names; by default ``feature_names_in_``, else
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            One name per output column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        prefixes = ["shared"] + [f"domain_{domain}" for domain in self.domains_]
        return np.asarray(
            [f"{prefix}__{name}" for prefix in prefixes for name in names],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# -- linear interpolation of a source and a target model -------------------------


def _check_weights(weights):
    """The grid of mixing weights: a non-empty 1-d array of values in [0, 1]."""
    if weights is None:
        return _DEFAULT_WEIGHTS
    values = np.asarray(weights, dtype=float).ravel()
    if values.size == 0 or not np.all((values >= 0) & (values <= 1)):
        raise ValueError(
            "weights must be a non-empty list of mixing weights in [0, 1] (1 = the "
            f"source model, 0 = the target-only model); got {weights!r}."
        )
    return values


def _is_labels_of_one_class(y):
    return np.unique(y).size < 2


def _check_folds(splits, n_rows, cv, name):
    """Refuse folds whose test sets do not hold each row exactly once."""
    tests = [np.asarray(test, dtype=np.intp) for _, test in splits]
    tested = np.concatenate(tests) if tests else np.zeros(0, dtype=np.intp)
    counts = np.bincount(tested, minlength=n_rows)
    if counts.shape[0] == n_rows and np.all(counts == 1):
        return
    raise ValueError(
        f"{name} scores each weight on the out-of-fold predictions of the "
        f"{n_rows} labeled target rows, so cv must test each of them exactly once, "
        f"as K-fold does; the cv given ({type(cv).__name__}) leaves "
        f"{int(np.sum(counts[:n_rows] == 0))} untested, tests "
        f"{int(np.sum(counts[:n_rows] > 1))} more than once and tests "
        f"{int(np.sum(counts[n_rows:] > 0))} indices beyond them. Pass an int, "
        "KFold or StratifiedKFold."
    )


def _check_target_weight(data, rows):
    """Refuse labeled target rows whose weights are all zero."""
    if data.sample_weight is not None and not data.sample_weight[rows].sum() > 0:
        raise ValueError(
            "sample_weight gives every labeled target row weight 0, so neither the "
            "target-only model nor the mixing weight can be fitted. Give some "
            "labeled target rows a positive weight."
        )


class _BaseInterpolatedTransfer(BaseSourceTransfer):
    """Fit both models, choose the weight by CV on the labeled target rows."""

    _parameter_constraints = {
        "source_estimator": [HasMethods(["fit"]), None],
        "target_estimator": [HasMethods(["fit"]), None],
        "weights": ["array-like", None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left"), "cv_object"],
        "random_state": ["random_state"],
    }

    __metadata_request__predict = {"sample_domain": True}

    # No target row (or inferred domains without a masked row) gives the
    # source model; target rows that are all unlabeled are refused.
    _domain_checks = {"validate_X": False, "need_labeled_target": True}

    def _domain_check_options(self):
        return {**super()._domain_check_options(), "multi_output": self._multi_output()}

    def _multi_output(self):
        return False

    def _given_models(self):
        """The source and target estimators as given, None resolved."""
        target = self.target_estimator
        if target is None:
            target = self._default_source_estimator()
        return self._given_source(), target

    def _fit(self, data):
        weights = _check_weights(self.weights)
        self._check_model(self._given_models()[1], "target")
        source = self._fit_source_model(data)
        self._check_model(source, "source")
        self._check_n_features(source, data)
        rows = np.flatnonzero(data.labeled_target)
        self.n_target_rows_ = rows.shape[0]
        self._set_classes(source, data.y[rows])
        if rows.shape[0] == 0:
            # No labeled target row (no target row, or inferred domains with
            # every row source): there is no target model, only the source's.
            self.target_estimator_ = None
            self.weight_ = 1.0
            self.cv_scores_ = None
            return copy_input_attributes(self, source)
        _check_target_weight(data, rows)
        if weights.size == 1:
            self.cv_scores_ = None
            self.weight_ = float(weights[0])
        else:
            self.cv_scores_ = self._cross_validate(data, rows, weights)
            self.weight_ = float(weights[np.argmax(self.cv_scores_)])
        self.target_estimator_ = self._fit_target_model(data, rows)
        return copy_input_attributes(self, source)

    def _check_model(self, model, role):
        """Refuse a source or target model that cannot be mixed."""

    def _check_n_features(self, source, data):
        expected = getattr(source, "n_features_in_", None)
        given = _num_features(data.X_input) if hasattr(data.X_input, "shape") else None
        if expected is not None and given is not None and expected != given:
            raise ValueError(
                f"The source model expects {expected} features, but X has {given}; "
                "the target rows must have the source model's features."
            )

    def _target_model(self):
        """A fresh clone of the target estimator, its unset seeds derived."""
        estimator = self.target_estimator
        if estimator is None:
            estimator = self._default_source_estimator()
        return seed_nested_estimators(clone(estimator), self.random_state)

    def _fit_target_model(self, data, rows):
        X, y = _safe_indexing(data.X_input, rows), data.y[rows]
        model = self._target_model()
        if is_classifier(self) and _is_labels_of_one_class(y):
            # One class among the target rows: a classifier cannot be fitted;
            # the target-only model then predicts that class.
            model = DummyClassifier(strategy="prior")
        params = {}
        if data.sample_weight is not None:
            params["sample_weight"] = data.sample_weight[rows]
        return model.fit(X, y, **params)

    def _splitter(self, y):
        if not isinstance(self.cv, numbers.Integral):
            return check_cv(self.cv, y, classifier=is_classifier(self))
        if y.shape[0] < self.cv:
            raise ValueError(
                f"{type(self).__name__} chooses its weight by {self.cv}-fold "
                f"cross-validation over the labeled target rows, and there are "
                f"{y.shape[0]}. Label more target rows, lower cv, or give one "
                "weight (weights=[w])."
            )
        if is_classifier(self) and np.unique(y, return_counts=True)[1].min() >= self.cv:
            return StratifiedKFold(
                self.cv, shuffle=True, random_state=self.random_state
            )
        return KFold(self.cv, shuffle=True, random_state=self.random_state)

    def _cross_validate(self, data, rows, weights):
        """Score of each weight on the out-of-fold predictions of the target rows.

        The source model is fixed; the target model is refitted on each
        training fold. Out-of-fold predictions of every fold are pooled and
        scored once per weight (folds of a few rows score too noisily alone),
        so the folds must test each labeled target row exactly once.
        """
        y = data.y[rows]
        splits = list(self._splitter(y).split(np.zeros((y.shape[0], 1)), y))
        _check_folds(splits, y.shape[0], self.cv, type(self).__name__)
        X_target = _safe_indexing(data.X_input, rows)
        source_out = self._model_output(self.source_estimator_, X_target)
        target_out = np.empty_like(source_out)
        for train, test in splits:
            model = self._fit_target_model(data, rows[train])
            target_out[test] = self._model_output(model, _safe_indexing(X_target, test))
        sample_weight = None
        if data.sample_weight is not None:
            sample_weight = data.sample_weight[rows]
        return np.array(
            [
                self._score(y, w * source_out + (1 - w) * target_out, sample_weight)
                for w in weights
            ]
        )

    def _mixed_output(self, X):
        check_is_fitted(self)
        source_out = self._model_output(self.source_estimator_, X)
        if self.target_estimator_ is None:
            return source_out
        target_out = self._model_output(self.target_estimator_, X)
        return self.weight_ * source_out + (1 - self.weight_) * target_out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Rows go to both models as they are: they must both take them.
        models = [get_tags(model).input_tags for model in self._given_models()]
        tags.input_tags.sparse = all(model.sparse for model in models)
        tags.input_tags.allow_nan = all(model.allow_nan for model in models)
        tags.target_tags.multi_output = self._multi_output()
        return tags


class InterpolatedTransferClassifier(
    LabeledRowsScoreMixin, ClassifierMixin, _BaseInterpolatedTransfer
):
    """Mix a source-only and a target-only classifier's probabilities.

    Daumé's LININT baseline: ``proba = w * source + (1 - w) * target``, the
    source model fitted on the source rows (or given frozen), the target
    model on the labeled target rows, and ``w`` the weight of ``weights``
    whose mixed out-of-fold probabilities on the labeled target rows score
    best (the source model fixed, the target model refitted per fold).

    ``weights=[1.0]`` is exactly the source model, ``weights=[0.0]`` exactly
    the target-only model. Without labeled target rows (no target rows, or
    ``sample_domain`` inferred with no masked row) it is the source model;
    target rows that are all unlabeled are refused. A class that only one
    model knows gets probability zero from the other.

    Parameters
    ----------
    source_estimator : estimator object, default=None
        Classifier with ``predict_proba`` for the source rows, cloned and
        fitted on the labeled source rows; or ``FrozenEstimator(model)`` for
        a fitted one (then ``fit`` needs no source rows, and with
        ``sample_domain=None`` every row is a target row). None means
        ``LogisticRegression()``.
    target_estimator : estimator object, default=None
        Classifier with ``predict_proba`` fitted on the labeled target rows
        (cloned); None means ``LogisticRegression()``. With one class among
        the rows it is fitted on, a ``DummyClassifier`` predicting that class
        is used.
    weights : array-like of float, default=None
        The mixing weights tried, each in ``[0, 1]`` (``1`` is the source
        model, ``0`` the target-only model); None means
        ``np.linspace(0, 1, 11)``. With one weight no cross-validation is run.
    cv : int, cross-validation generator or iterable, default=5
        How the labeled target rows (indexed from 0 among themselves) are
        split to choose the weight; the test folds must hold each row once.
        An int is the number of shuffled folds (stratified when every class
        has that many rows); ties go to the first best weight of ``weights``.
    scoring : {"log_loss", "accuracy"}, default="log_loss"
        What the weight maximises on the out-of-fold probabilities: minus the
        log loss, or the accuracy.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffle and the unset seeds of both models.

    Attributes
    ----------
    source_estimator_ : estimator object
        The source model (fitted here, or the frozen one).
    target_estimator_ : estimator object or None
        The target-only model fitted on every labeled target row; None
        without labeled target rows.
    weight_ : float
        The chosen weight of the source model.
    cv_scores_ : ndarray of shape (n_weights,) or None
        Cross-validated score of each weight; None when none was run.
    classes_ : ndarray of shape (n_classes,)
        The classes of either model.
    n_target_rows_ : int
        Number of labeled target rows.
    n_features_in_ : int
        Number of features seen in ``fit`` (from the source model).
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when the source model records them.

    See Also
    --------
    InterpolatedTransferRegressor : The same for regression.
    FeatureAugmentation : Daumé's augmentation of the features.

    References
    ----------
    .. [1] H. Daumé III, "Frustratingly Easy Domain Adaptation", Proceedings
       of the 45th Annual Meeting of the Association for Computational
       Linguistics (ACL), pp. 256-263, 2007 (the LININT baseline).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.parameter import InterpolatedTransferClassifier
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=200, n_target=100, shift="concept", random_state=0
    ... )
    >>> y_train = y.copy()
    >>> y_train[np.flatnonzero(sample_domain < 0)[30:]] = -1
    >>> model = InterpolatedTransferClassifier(random_state=0).fit(
    ...     X, y_train, sample_domain=sample_domain
    ... )
    >>> 0.0 <= model.weight_ <= 1.0
    True
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **_BaseInterpolatedTransfer._parameter_constraints,
        "scoring": [StrOptions({"log_loss", "accuracy"})],
    }

    __metadata_request__predict_proba = {"sample_domain": True}

    def __init__(
        self,
        source_estimator=None,
        target_estimator=None,
        *,
        weights=None,
        cv=5,
        scoring="log_loss",
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.target_estimator = target_estimator
        self.weights = weights
        self.cv = cv
        self.scoring = scoring
        self.random_state = random_state

    def _default_source_estimator(self):
        return LogisticRegression()

    def _check_model(self, model, role):
        if not hasattr(model, "predict_proba"):
            name = type(unfrozen(model)).__name__
            raise TypeError(
                f"InterpolatedTransferClassifier mixes probabilities; the {role} "
                f"model {name} has no predict_proba. Use a probabilistic "
                "classifier (or wrap it in CalibratedClassifierCV)."
            )

    def _set_classes(self, source, y_target):
        self.classes_ = np.union1d(source.classes_, y_target)

    def _model_output(self, model, X):
        """``model``'s probabilities, in the columns of ``classes_``."""
        proba = model.predict_proba(X)
        aligned = np.zeros((proba.shape[0], self.classes_.shape[0]))
        aligned[:, np.searchsorted(self.classes_, model.classes_)] = proba
        return aligned

    def _score(self, y, proba, sample_weight):
        columns = np.searchsorted(self.classes_, y)
        if self.scoring == "accuracy":
            hits = self.classes_[np.argmax(proba, axis=1)] == y
            return np.average(hits, weights=sample_weight)
        true_proba = np.clip(proba[np.arange(y.shape[0]), columns], 1e-15, 1.0)
        return np.average(np.log(true_proba), weights=sample_weight)

    def predict_proba(self, X, sample_domain=None):
        """Mixed class probabilities of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict, as the models take them.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            ``weight_ * source + (1 - weight_) * target``, columns in the
            order of ``classes_``.
        """
        return self._mixed_output(X)

    def predict(self, X, sample_domain=None):
        """The most probable class of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Classes of the mixed probabilities.
        """
        proba = self._mixed_output(X)
        return self.classes_[np.argmax(proba, axis=1)]


class InterpolatedTransferRegressor(
    LabeledRowsScoreMixin, RegressorMixin, _BaseInterpolatedTransfer
):
    """Mix a source-only and a target-only regressor's predictions.

    Daumé's LININT baseline: ``y = w * source + (1 - w) * target``, the
    source model fitted on the source rows (or given frozen), the target
    model on the labeled target rows, and ``w`` the weight of ``weights``
    whose mixed out-of-fold predictions on the labeled target rows have the
    smallest squared error (the source model fixed, the target model
    refitted per fold).

    ``weights=[1.0]`` is exactly the source model, ``weights=[0.0]`` exactly
    the target-only model. Without labeled target rows (no target rows, or
    ``sample_domain`` inferred with no masked row) it is the source model;
    target rows that are all unlabeled are refused. Several outputs (a 2-d
    ``y``) are taken when both models take them; a row with ``NaN`` in any
    output is unlabeled.

    Parameters
    ----------
    source_estimator : estimator object, default=None
        Regressor for the source rows, cloned and fitted on the labeled
        source rows; or ``FrozenEstimator(model)`` for a fitted one (then
        ``fit`` needs no source rows, and with ``sample_domain=None`` every
        row is a target row). None means ``Ridge()``.
    target_estimator : estimator object, default=None
        Regressor fitted on the labeled target rows (cloned); None means
        ``Ridge()``.
    weights : array-like of float, default=None
        The mixing weights tried, each in ``[0, 1]`` (``1`` is the source
        model, ``0`` the target-only model); None means
        ``np.linspace(0, 1, 11)``. With one weight no cross-validation is run.
    cv : int, cross-validation generator or iterable, default=5
        How the labeled target rows (indexed from 0 among themselves) are
        split to choose the weight; the test folds must hold each row once.
        An int is the number of shuffled folds; ties go to the first best
        weight of ``weights``.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffle and the unset seeds of both models.

    Attributes
    ----------
    source_estimator_ : estimator object
        The source model (fitted here, or the frozen one).
    target_estimator_ : estimator object or None
        The target-only model fitted on every labeled target row; None
        without labeled target rows.
    weight_ : float
        The chosen weight of the source model.
    cv_scores_ : ndarray of shape (n_weights,) or None
        Minus the cross-validated mean squared error of each weight (averaged
        over the outputs); None when none was run.
    n_target_rows_ : int
        Number of labeled target rows.
    n_features_in_ : int
        Number of features seen in ``fit`` (from the source model).
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when the source model records them.

    See Also
    --------
    InterpolatedTransferClassifier : The same for classes.
    FeatureAugmentation : Daumé's augmentation of the features.

    References
    ----------
    .. [1] H. Daumé III, "Frustratingly Easy Domain Adaptation", Proceedings
       of the 45th Annual Meeting of the Association for Computational
       Linguistics (ACL), pp. 256-263, 2007 (the LININT baseline).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.parameter import InterpolatedTransferRegressor
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=200, n_target=100, shift="concept", task="regression",
    ...     random_state=0,
    ... )
    >>> y_train = y.copy()
    >>> y_train[np.flatnonzero(sample_domain < 0)[30:]] = np.nan
    >>> model = InterpolatedTransferRegressor(weights=[0.0]).fit(
    ...     X, y_train, sample_domain=sample_domain
    ... )
    >>> model.weight_, model.n_target_rows_
    (0.0, 30)
    """

    def __init__(
        self,
        source_estimator=None,
        target_estimator=None,
        *,
        weights=None,
        cv=5,
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.target_estimator = target_estimator
        self.weights = weights
        self.cv = cv
        self.random_state = random_state

    def _default_source_estimator(self):
        return Ridge()

    def _multi_output(self):
        return all(
            get_tags(model).target_tags.multi_output for model in self._given_models()
        )

    def _set_classes(self, source, y_target):
        pass

    def _model_output(self, model, X):
        return np.asarray(model.predict(X), dtype=float)

    def _score(self, y, y_pred, sample_weight):
        errors = (y - y_pred) ** 2
        if errors.ndim > 1:
            errors = errors.mean(axis=1)
        return -np.average(errors, weights=sample_weight)

    def predict(self, X, sample_domain=None):
        """Mixed predictions of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict, as the models take them.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``weight_ * source + (1 - weight_) * target``.
        """
        return self._mixed_output(X)
