"""Linear models regularised towards the source model's weights.

The prior of Chelba & Acero (2006): the target model is fitted on the
labeled target rows with a penalty ``strength * |theta - theta_source|^2``
that pulls its weights and intercept towards the source model's.
"""

import numbers
import warnings

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import LabeledRowsScoreMixin
from ._prior_solvers import prior_logistic, prior_ridge
from ._source import BaseSourceTransfer, unfrozen

__all__ = ["RegularTransferLogisticRegression", "RegularTransferRidge"]


def _linear_parameters(source, name):
    """The source model's ``coef_`` as (n_outputs, n_features) and
    ``intercept_`` as (n_outputs,)."""
    model = unfrozen(source)
    coef = getattr(model, "coef_", None)
    if coef is None or not hasattr(model, "intercept_"):
        raise TypeError(
            f"{name} starts from a linear source model's coef_ and intercept_; "
            f"{type(model).__name__} has none. Use a linear model (the default), "
            "and put preprocessing steps before this estimator in a pipeline "
            "rather than inside the source model."
        )
    coef = np.asarray(coef, dtype=np.float64)
    coef = coef.reshape(1, -1) if coef.ndim == 1 else coef
    intercept = np.broadcast_to(
        np.asarray(model.intercept_, dtype=np.float64).ravel(), (coef.shape[0],)
    )
    return np.array(coef), np.array(intercept)


def _check_feature_count(prior_coef, n_features, name):
    if prior_coef.shape[1] != n_features:
        raise ValueError(
            f"The source model of {name} has {prior_coef.shape[1]} weights per "
            f"output, but X has {n_features} features; the target rows must have "
            "the source model's features."
        )


class _BaseRegularTransfer(BaseSourceTransfer):
    """Fit a prior-regularised linear model on the labeled target rows."""

    _parameter_constraints = {
        "source_estimator": [HasMethods(["fit"]), None],
        "strength": [Interval(numbers.Real, 0, np.inf, closed="both")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    _domain_checks = {
        "need_labeled_target": True,
        "accept_sparse": "csr",
        "dtype": np.float64,
    }

    def _fit(self, data):
        source = self._fit_source_model(data)
        prior_coef, prior_intercept = _linear_parameters(source, type(self).__name__)
        _check_feature_count(prior_coef, data.X.shape[1], type(self).__name__)
        rows = np.flatnonzero(data.labeled_target)
        self.n_target_rows_ = rows.shape[0]
        Y = self._prepare_targets(source, data.y[rows], prior_coef)
        if not self.fit_intercept:
            prior_intercept = np.zeros_like(prior_intercept)
        self.prior_coef_, self.prior_intercept_ = prior_coef, prior_intercept
        if rows.shape[0] == 0:
            # No labeled target row (inferred domains, every row source):
            # the model is the source model.
            return self._set_parameters(prior_coef, prior_intercept, 0)
        weight = data.weights()[rows] * self._class_weights(data.y[rows])
        result = self._solve(data.X[rows], Y, weight, prior_coef, prior_intercept)
        if not result.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge after {result.n_iter} "
                f"iterations ({result.message}). Raise max_iter, loosen tol, or "
                "scale the features.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self._set_parameters(result.coef, result.intercept, result.n_iter)

    def _class_weights(self, y):
        return 1.0

    def _linear_output(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)
        return np.asarray(X @ np.atleast_2d(self.coef_).T) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class RegularTransferLogisticRegression(
    LabeledRowsScoreMixin, ClassifierMixin, _BaseRegularTransfer
):
    """Logistic regression on the target rows, pulled towards the source weights.

    Minimises over the labeled target rows (``s_i`` the sample weights
    times the class weights)::

        sum_i s_i log_loss_i + |W|^2 / (2 C) + strength (|W - W_s|^2 + |b - b_s|^2)

    where ``W_s, b_s`` are the source model's ``coef_`` and ``intercept_``
    (the prior of Chelba & Acero, 2006). The loss is binary for two classes
    and multinomial for more, as in scikit-learn's ``LogisticRegression``:
    ``strength=0`` is that model fitted on the target rows, and as
    ``strength`` grows the model tends to the source model (``np.inf`` is
    exactly it). Solved by L-BFGS-B from the source weights; a
    ``ConvergenceWarning`` says when it stopped short of ``tol``.

    The classes are the source model's; every target label must be one of
    them. With ``strength=0`` every class needs target rows (nothing else
    bounds the intercept of an absent class). Without labeled target rows
    (``sample_domain`` inferred, every row source) the model is the source
    model.

    Parameters
    ----------
    source_estimator : estimator object, default=None
        A linear classifier with ``coef_`` and ``intercept_``. Unfitted, it
        is cloned and fitted on the labeled source rows (None:
        ``LogisticRegression(C=C, class_weight=class_weight, max_iter=1000)``); as
        ``FrozenEstimator(fitted_model)`` it is used as it is, and ``fit``
        then needs no source rows.
    strength : float, default=1.0
        Pull towards the source weights, ``>= 0``: ``0`` fits the target
        rows alone, ``np.inf`` keeps the source model. Search it on a log
        grid (``np.logspace(-3, 3, 7)``); its scale is that of the summed
        loss, so the right value grows with the number of target rows.
    fit_intercept : bool, default=True
        Whether to fit an intercept. It is pulled towards the source
        intercept like the weights; with False it is 0.
    C : float, default=1.0
        Inverse strength of the plain L2 penalty, as in
        ``LogisticRegression``; ``np.inf`` leaves only the pull towards the
        source.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes of the target rows, as in
        ``LogisticRegression`` ("balanced": inversely proportional to their
        frequencies among the labeled target rows).
    tol : float, default=1e-6
        Tolerance of L-BFGS-B on the projected gradient of the objective
        divided by the summed weights.
    max_iter : int, default=1000
        Most L-BFGS-B iterations.
    random_state : int, RandomState instance or None, default=None
        Seeds a source model fitted here that has an unset ``random_state``.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for two classes (those of ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    prior_coef_ : ndarray of the shape of ``coef_``
        The source model's weights.
    prior_intercept_ : ndarray of the shape of ``intercept_``
        The source model's intercepts (zeros with ``fit_intercept=False``).
    source_estimator_ : estimator object
        The source model (fitted here, or the frozen one).
    classes_ : ndarray of shape (n_classes,)
        The source model's classes.
    n_iter_ : int
        L-BFGS-B iterations (0 when nothing was solved).
    n_target_rows_ : int
        Number of labeled target rows fitted.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    RegularTransferRidge : The same prior for regression.
    SourceBoostingClassifier : Boosting on the target from the source margin.

    References
    ----------
    .. [1] C. Chelba and A. Acero, "Adaptation of maximum entropy
       capitalizer: Little data can help a lot", Computer Speech & Language
       20(4), pp. 382-399, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.parameter import RegularTransferLogisticRegression
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=300, n_target=40, shift="concept", strength=0.5,
    ...     random_state=0,
    ... )
    >>> source = LogisticRegression().fit(X[:300], y[:300])
    >>> model = RegularTransferLogisticRegression(
    ...     FrozenEstimator(source), strength=10.0
    ... ).fit(X[300:], y[300:])  # a production model and 40 target labels
    >>> model.coef_.shape, model.n_target_rows_
    ((1, 2), 40)
    >>> far = RegularTransferLogisticRegression(
    ...     FrozenEstimator(source), strength=np.inf
    ... ).fit(X[300:], y[300:])
    >>> bool(np.allclose(far.coef_, source.coef_))
    True
    """

    _parameter_constraints = {
        **_BaseRegularTransfer._parameter_constraints,
        "C": [Interval(numbers.Real, 0, None, closed="right")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        source_estimator=None,
        *,
        strength=1.0,
        C=1.0,
        fit_intercept=True,
        class_weight=None,
        tol=1e-6,
        max_iter=1000,
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.strength = strength
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _default_source_estimator(self):
        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=1000
        )

    def _prepare_targets(self, source, y, prior_coef):
        """Set ``classes_`` from the source model; encode y for the loss."""
        classes = getattr(source, "classes_", None)
        if classes is None:
            raise TypeError(
                f"RegularTransferLogisticRegression needs a source classifier with "
                f"classes_; {type(source).__name__} has none."
            )
        self.classes_ = np.asarray(classes)
        n_classes = self.classes_.shape[0]
        expected = 1 if n_classes == 2 else n_classes
        if n_classes < 2 or prior_coef.shape[0] != expected:
            raise ValueError(
                f"The source model has {n_classes} classes and coef_ of shape "
                f"{prior_coef.shape}; a logistic prior needs 2 classes with one row of "
                "weights, or K > 2 classes with one row per class."
            )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"The target rows hold the classes {unknown.tolist()}, which the "
                f"source model does not know (its classes are {self.classes_.tolist()})"
                ". Fit the source model with every class, or relabel the target."
            )
        if (
            self.strength == 0
            and self.fit_intercept
            and y.shape[0]
            and np.unique(y).shape[0] < n_classes
        ):
            raise ValueError(
                f"With strength=0 every class of the source model "
                f"{self.classes_.tolist()} needs labeled target rows; the target rows "
                f"hold only {np.unique(y).tolist()}. Use strength > 0 so that the "
                "source model fills in the missing classes."
            )
        columns = np.searchsorted(self.classes_, y)
        if n_classes == 2:
            return (columns == 1).astype(np.float64)[:, None]
        return np.eye(n_classes)[columns]

    def _class_weights(self, y):
        if self.class_weight is None:
            return 1.0
        present = np.unique(y)
        weights = compute_class_weight(self.class_weight, classes=present, y=y)
        return weights[np.searchsorted(present, y)]

    def _solve(self, X, Y, weight, prior_coef, prior_intercept):
        return prior_logistic(
            X,
            Y,
            weight,
            prior_coef,
            prior_intercept,
            C=self.C,
            strength=self.strength,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
        )

    def _set_parameters(self, coef, intercept, n_iter):
        self.coef_, self.intercept_, self.n_iter_ = coef, intercept, n_iter
        return self

    def decision_function(self, X):
        """The linear scores of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Log-odds of ``classes_[1]`` for two classes, one score per class
            otherwise.
        """
        scores = self._linear_output(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities: the sigmoid or softmax of the scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        scores = self._linear_output(X)
        if scores.shape[1] == 1:
            positive = expit(scores[:, 0])
            return np.c_[1.0 - positive, positive]
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class of highest score of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        scores = self._linear_output(X)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class RegularTransferRidge(LabeledRowsScoreMixin, RegressorMixin, _BaseRegularTransfer):
    """Ridge regression on the target rows, pulled towards the source weights.

    Minimises over the labeled target rows, for each output::

        sum_i s_i (y_i - x_i w - b)^2 + alpha |w|^2
            + strength (|w - w_s|^2 + (b - b_s)^2)

    where ``w_s, b_s`` are the source model's ``coef_`` and ``intercept_``
    (the prior of Chelba & Acero, 2006, for the squared loss). Solved in
    closed form: through the rows (an n-by-n solve) when there are fewer
    labeled target rows than weights, else by the normal equations, formed
    up to 4096 features and by conjugate gradients (relative tolerance
    ``tol``) above.
    ``strength=0`` is scikit-learn's ``Ridge(alpha)`` fitted on the target
    rows; ``strength=np.inf`` is the source model. Without labeled target
    rows (``sample_domain`` inferred, every row source) the model is the
    source model.

    Parameters
    ----------
    source_estimator : estimator object, default=None
        A linear regressor with ``coef_`` and ``intercept_`` with as many
        outputs as ``y`` has columns. Unfitted, it is cloned and fitted on
        the labeled source rows (None: ``Ridge(alpha=alpha)``); as
        ``FrozenEstimator(fitted_model)`` it is used as it is, and ``fit``
        then needs no source rows.
    strength : float, default=1.0
        Pull towards the source weights, ``>= 0``: ``0`` fits the target
        rows alone, ``np.inf`` keeps the source model. Search it on a log
        grid (``np.logspace(-3, 3, 7)``); its scale is that of the summed
        loss, so the right value grows with the number of target rows.
    fit_intercept : bool, default=True
        Whether to fit an intercept. It is pulled towards the source
        intercept like the weights; with False it is 0.
    alpha : float, default=1.0
        Strength of the plain L2 penalty on the weights, as in ``Ridge``.
    tol : float, default=1e-10
        Relative residual at which conjugate gradients stop (used above
        4096 features).
    max_iter : int, default=10000
        Most conjugate-gradient iterations.
    random_state : int, RandomState instance or None, default=None
        Seeds a source model fitted here that has an unset ``random_state``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Weights, shaped as ``Ridge``'s.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercepts.
    prior_coef_ : ndarray of shape (n_targets, n_features)
        The source model's weights.
    prior_intercept_ : ndarray of shape (n_targets,)
        The source model's intercepts (zeros with ``fit_intercept=False``).
    source_estimator_ : estimator object
        The source model (fitted here, or the frozen one).
    n_iter_ : int
        Conjugate-gradient iterations (0 for a direct solve).
    n_target_rows_ : int
        Number of labeled target rows fitted.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    RegularTransferLogisticRegression : The same prior for classes.
    SourceBoostingRegressor : Boosting on the target from the source prediction.

    References
    ----------
    .. [1] C. Chelba and A. Acero, "Adaptation of maximum entropy
       capitalizer: Little data can help a lot", Computer Speech & Language
       20(4), pp. 382-399, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.parameter import RegularTransferRidge
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=300, n_target=30, shift="concept", strength=0.5,
    ...     task="regression", random_state=0,
    ... )
    >>> model = RegularTransferRidge(strength=0.0)
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> target_only = Ridge().fit(X[300:], y[300:])
    >>> bool(np.allclose(model.coef_, target_only.coef_))
    True
    """

    _parameter_constraints = {
        **_BaseRegularTransfer._parameter_constraints,
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
    }

    _domain_checks = {**_BaseRegularTransfer._domain_checks, "multi_output": True}

    def __init__(
        self,
        source_estimator=None,
        *,
        strength=1.0,
        alpha=1.0,
        fit_intercept=True,
        tol=1e-10,
        max_iter=10000,
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.strength = strength
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _default_source_estimator(self):
        return Ridge(alpha=self.alpha)

    def _prepare_targets(self, source, y, prior_coef):
        model = unfrozen(source)
        if is_classifier(model):
            raise TypeError(
                f"RegularTransferRidge starts from a regressor's weights; "
                f"{type(model).__name__} is a classifier, whose weights score "
                "classes, not y. Use RegularTransferLogisticRegression, or a linear "
                "regressor as the source."
            )
        self._single_output = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if Y.shape[1] != prior_coef.shape[0]:
            raise ValueError(
                f"y has {Y.shape[1]} output(s) but the source model predicts "
                f"{prior_coef.shape[0]}; give the source model y's columns."
            )
        return np.asarray(Y, dtype=np.float64)

    def _solve(self, X, Y, weight, prior_coef, prior_intercept):
        if self.strength == 0 and self.alpha == 0 and X.shape[0] <= X.shape[1]:
            raise ValueError(
                f"With strength=0 and alpha=0 the {X.shape[0]} labeled target rows "
                f"cannot determine {X.shape[1]} weights. Use alpha > 0 or "
                "strength > 0."
            )
        return prior_ridge(
            X,
            Y,
            weight,
            prior_coef,
            prior_intercept,
            alpha=self.alpha,
            strength=self.strength,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
        )

    def _set_parameters(self, coef, intercept, n_iter):
        if self._single_output:
            coef, intercept = coef[0], float(intercept[0])
        self.coef_, self.intercept_, self.n_iter_ = coef, intercept, n_iter
        return self

    def predict(self, X):
        """The linear prediction of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, shaped as ``y`` in ``fit``.
        """
        prediction = self._linear_output(X)
        return prediction[:, 0] if np.ndim(self.coef_) == 1 else prediction

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
