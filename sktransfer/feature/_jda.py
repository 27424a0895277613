"""Joint and balanced distribution adaptation (Long et al. 2013, Wang et al. 2017).

TCA (:mod:`._tca`) matches the domains' means in a kernel's feature space. JDA
also matches each class's mean: with pseudo-labels for the unlabeled target
rows, the discrepancy adds, for every class ``c``, the squared distance between
the class's source and target means, a contrast ``e_c`` with ``1 / n_s^c`` on
the source rows of class ``c`` and ``-1 / n_t^c`` on the target rows labeled or
pseudo-labeled ``c``. Balanced distribution adaptation (BDA) weighs the two
parts,

    M = (1 - balance) e_0 e_0' + (balance / C) sum_c e_c e_c',

and the components solve TCA's problem with ``M`` in place of ``e_0 e_0'``:
``M = E E'`` with the columns ``sqrt(1 - balance) e_0`` and
``sqrt(balance / C) e_c``, a low-rank right side that TCA's solvers take as it
is. The pseudo-labels come from a classifier fitted on the embedded labeled
rows, and the problem is solved again with them, ``n_iter`` times at most.
"""

import logging
import numbers

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import type_of_target

from ..base import report_progress
from ._tca import (
    _DATA_CHECKS_DOC,
    _SHARED_ATTRIBUTES_DOC,
    _SHARED_PARAMETERS_DOC,
    _BaseTransferComponents,
    _domain_contrast,
    _standardized,
)

logger = logging.getLogger(__name__)


def _class_contrasts(codes, is_source, n_classes):
    """``e_c`` for every class, as columns: ``1 / n_s^c`` on the source rows of
    class ``c``, ``-1 / n_t^c`` on the target rows (pseudo-)labeled ``c``; zero
    for a class missing from either domain (no discrepancy to measure).

    ``codes`` holds each row's class index, ``-1`` where the row has none.
    """
    contrasts = np.zeros((codes.shape[0], n_classes))
    for c in range(n_classes):
        source = is_source & (codes == c)
        target = ~is_source & (codes == c)
        if source.any() and target.any():
            contrasts[source, c] = 1.0 / source.sum()
            contrasts[target, c] = -1.0 / target.sum()
    return contrasts


class JointDistributionAdaptation(_BaseTransferComponents):
    __doc__ = f"""Joint distribution adaptation: match overall and per-class means.

    JDA (Long et al. 2013) extends transfer component analysis: the
    components also bring each class's source rows close to the target rows
    of that class, the target's classes given by pseudo-labels that a
    classifier predicts in the embedding, refined over iterations. The
    discrepancy is

        M = (1 - balance) e_0 e_0' + (balance / C) sum_c e_c e_c'

    (``e_0`` TCA's contrast of the domains' means, ``e_c`` that of class
    ``c``'s means, ``C`` classes) and the components are the leading
    eigenvectors of ``K H K w = lambda (K M K + mu I) w``. ``balance`` is
    balanced distribution adaptation's factor (Wang et al. 2017): 0 is TCA,
    0.5 is JDA (the authors' code weighs the marginal term ``C`` times a
    class term, which is this ``M`` up to a factor), near 1 mostly the
    class-conditional terms, for domains whose class proportions or class
    shapes differ more than their overall means.

    The fit: TCA's components; the pseudo-labeler (``estimator``) fitted on
    the embedded labeled rows (source, and labeled target rows with their
    labels) predicts the unlabeled target rows; the problem, with the class
    contrasts of those labels, is solved again; up to ``n_iter`` times, and
    stops early when at most a share ``tol`` of the pseudo-labels changed.
    The kernel statistics (the kernel matrix, or the Nystroem features of the
    fast path) are computed once and every round re-solves only the
    eigenproblem: JDA's memory is TCA's, and its time TCA's plus, per round,
    one eigenproblem and one fit and prediction of the pseudo-labeler. The
    default 1-nearest-neighbour's prediction grows with the product of the
    labeled and unlabeled rows (27 s a round at 10^5 rows, against 3.5 s for
    a logistic regression at 10^6; ``benchmarks/results/jda_scale.md``):
    beyond some 10^4 rows give a scalable ``estimator``. ``verbose`` reports
    the share of pseudo-labels each round changed; ``label_changes_`` keeps
    them.

    Rows follow the ``sample_domain`` convention (``>= 0`` source, ``< 0``
    target); labels are needed (classification), ``-1`` on unlabeled rows.

    Parameters
    ----------
{_SHARED_PARAMETERS_DOC}
    balance : float in [0, 1], default=0.5
        Share of the class-conditional discrepancy in ``M``: 0 is TCA, 0.5
        JDA; other values are BDA.
    n_iter : int, default=10
        Pseudo-labeling rounds at most (the papers use 10). 0 is TCA.
    tol : float in [0, 1], default=0.0
        Stop when at most this share of the unlabeled target rows changed
        pseudo-label in a round. 0 stops only when none changed; a few rows
        often keep flipping between two classes, and ``1e-3`` then saves the
        remaining rounds.
    estimator : classifier, default=None
        The pseudo-labeler, cloned and fitted on the embedded labeled rows
        each round. None: ``KNeighborsClassifier(n_neighbors=1)``, the
        papers' 1-nearest-neighbour.

    Attributes
    ----------
{_SHARED_ATTRIBUTES_DOC}
    classes_ : ndarray of shape (n_classes,)
        The labeled rows' classes.
    n_iter_ : int
        Rounds run (each a pseudo-labeling and a new solution).
    label_changes_ : ndarray of shape (n_rounds,)
        Share of the unlabeled target rows whose pseudo-label each round
        changed, one entry per round (``n_iter_`` of them); fewer than
        ``n_iter`` entries, the last at most ``tol``, mean the labels settled.
    pseudo_labels_ : ndarray of shape (n_unlabeled_target,)
        The unlabeled target rows' labels predicted in the final embedding,
        in their input order.
    estimator_ : classifier
        The pseudo-labeler fitted on the final embedding's labeled rows.

    See Also
    --------
    TransferComponentAnalysis : The marginal term alone (``balance=0``).
    SemiSupervisedTCA : Uses labels through their dependence, not class means.

    Notes
    -----
    ``mu`` keeps TCA's meaning (it weighs ``tr(W'W)`` against the
    unnormalised ``M``); the authors' code divides ``M`` by its Frobenius
    norm first, so their ``lambda`` is ``mu / |M|_F`` here. Their code also
    scales the rows and each embedded row to unit length, which matters: on
    the 12 Office-Caltech SURF tasks (linear kernel, 100 components, 1NN;
    ``benchmarks/results/office_caltech.md``) JDA averages 45.4 with those
    scalings (``Normalizer`` before, ``estimator=make_pipeline(Normalizer(),
    KNeighborsClassifier(1))``, ``Normalizer`` after) and ``mu=1``, 46.7 with
    ``mu=0.01``, against the published 46.31; without them 38.8, below TCA
    (43.6), its pseudo-labels still changing after 10 rounds. TCA with the
    same scalings also averages 45.4: compare with ``balance=0`` before
    relying on the class terms. A class present in one domain only adds no
    class term. Several source (or target) domains are pooled.

{_DATA_CHECKS_DOC}

    References
    ----------
    .. [1] M. Long, J. Wang, G. Ding, J. Sun and P. S. Yu, "Transfer Feature
       Learning with Joint Distribution Adaptation", ICCV 2013.
    .. [2] J. Wang, Y. Chen, S. Hao, W. Feng and Z. Shen, "Balanced
       Distribution Adaptation for Transfer Learning", ICDM 2017.
    .. [3] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation
       via Transfer Component Analysis", IEEE Transactions on Neural Networks
       22(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.feature import JointDistributionAdaptation
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(100, 5))
    >>> ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(80, 5))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> jda = JointDistributionAdaptation(n_components=3, random_state=0)
    >>> jda.fit_transform(X, y, sample_domain=sample_domain).shape
    (180, 3)
    >>> jda.pseudo_labels_.shape
    (80,)
    """

    _domain_checks = {
        **_BaseTransferComponents._domain_checks,
        "y_required": True,
        "multi_output": False,
    }
    _parameter_constraints = {
        **_BaseTransferComponents._parameter_constraints,
        "balance": [Interval(numbers.Real, 0, 1, closed="both")],
        "n_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, 1, closed="both")],
        "estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(
        self,
        n_components=10,
        *,
        kernel="rbf",
        gamma=None,
        kernel_params=None,
        mu=0.1,
        scaling="unit_norm",
        solver="auto",
        n_landmarks=500,
        balance=0.5,
        n_iter=10,
        tol=0.0,
        estimator=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.kernel_params = kernel_params
        self.mu = mu
        self.scaling = scaling
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.balance = balance
        self.n_iter = n_iter
        self.tol = tol
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, sample_domain=None):
        """Learn the components, iterating the target's pseudo-labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` marks unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        return super().fit(X, y, sample_domain)

    def _domain_task(self):
        return "classification"

    def _checked_solver(self, data):
        _class_codes(data.y, data.labeled)  # refuse labels before any kernel value
        return super()._checked_solver(data)

    def _solve(self, data, state, rng):
        """TCA's components, then rounds of pseudo-labels and class contrasts."""
        name = type(self).__name__
        marginal = _domain_contrast(data.is_source)
        unlabeled = data.is_target & ~data.labeled
        self.classes_, codes = _class_codes(data.y, data.labeled)
        n_classes = self.classes_.shape[0]
        components = self._components(data, state, self._problem(data, marginal), rng)
        predicted = self._pseudo_labels(components, codes, unlabeled)
        changes = []
        rounds = self.n_iter if self.balance > 0 and data.is_target.any() else 0
        for round_ in range(rounds):
            with_pseudo = codes.copy()
            with_pseudo[unlabeled] = predicted
            contrast = np.hstack(
                [
                    np.sqrt(1 - self.balance) * marginal,
                    np.sqrt(self.balance / n_classes)
                    * _class_contrasts(with_pseudo, data.is_source, n_classes),
                ]
            )
            components = self._components(
                data, state, self._problem(data, contrast), rng
            )
            previous = predicted
            predicted = self._pseudo_labels(components, codes, unlabeled)
            changes.append(
                float(np.mean(predicted != previous)) if previous.size else 0.0
            )
            report_progress(
                logger,
                self.verbose,
                "%s: round %d of %d, %.1f%% of the pseudo-labels changed",
                name,
                round_ + 1,
                rounds,
                100 * changes[-1],
            )
            if changes[-1] <= self.tol:
                break
        self.n_iter_ = len(changes)
        self.label_changes_ = np.array(changes)
        self.pseudo_labels_ = self.classes_[predicted]
        return components

    def _pseudo_labels(self, components, codes, unlabeled):
        """Class indices of the unlabeled target rows, from a pseudo-labeler
        fitted on the embedded labeled rows (``codes >= 0``; ``estimator_``)."""
        embedding = _standardized(components, self.scaling)[2]
        labeled = codes >= 0
        labeler = clone(
            KNeighborsClassifier(n_neighbors=1)
            if self.estimator is None
            else self.estimator
        )
        self.estimator_ = labeler.fit(embedding[labeled], self.classes_[codes[labeled]])
        if not unlabeled.any():
            return np.zeros(0, dtype=np.int64)
        predicted = labeler.predict(embedding[unlabeled])
        if not np.isin(predicted, self.classes_).all():
            raise ValueError(
                f"The pseudo-labeler {type(labeler).__name__} predicted values "
                "that are not classes of the labeled rows; give a classifier as "
                "estimator (None: 1-nearest-neighbour)."
            )
        return np.searchsorted(self.classes_, predicted)


def _class_codes(y, labeled):
    """The labeled rows' classes and each row's class index (-1 when unlabeled);
    refuses labels that are not classes."""
    values = y[labeled]
    kind = type_of_target(values)
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"JointDistributionAdaptation matches class means and needs class "
            f"labels; y holds {kind!r} values. For a continuous target use "
            "TransferComponentAnalysis or SemiSupervisedTCA."
        )
    classes, codes = np.unique(values, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"The labeled rows hold one class ({classes[0]!r}); the class terms "
            "need at least 2. Label rows of another class, or use "
            "TransferComponentAnalysis."
        )
    all_codes = np.full(y.shape[0], -1, dtype=np.int64)
    all_codes[labeled] = codes
    return classes, all_codes
