"""
Relational transfer for a cold start: from books to electronics
===============================================================

A shop knows a lot about who buys which book, and little yet about who buys
which gadget. Both catalogues work alike: people buy what the people they
follow bought, and from makers they already bought from. The books graph
says it with ``bought(user, book)``, ``friend(user, user)`` and
``wrote(author, book)``; the electronics graph with
``purchased(customer, gadget)``, ``follows(customer, customer)`` and
``makes(brand, gadget)``. No name is shared.

:class:`~sktransfer.relational.RelationalTransferClassifier` learns path rules
for ``bought`` on the books graph ("bought what a friend bought",
``friend/bought``; "bought from an author already read",
``bought/wrote^-1/wrote``), maps the relations onto the electronics graph
(typed and one to one, checked on the few labeled gadget purchases), and uses
the mapped rules as the prior of the electronics model. The purchases to
predict are held out of the graphs; the known ones stay usable in the paths
(``hide="query"`` hides only the queried pairs' own edges).

The figure shows ROC AUC on held-out customer-gadget pairs against the
number of labeled target pairs, for transfer, for the same learner without the
source (scratch), and for the mapped source model alone (no target label):
mean and standard error over 5 draws of the labeled pairs.

Run: ``python docs/examples/plot_relational_cold_start.py [output.png]``
(with a path, the figure is written there; without, it is shown).
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from sktransfer.relational import (
    RelationalGraph,
    RelationalTransferClassifier,
)

LABELED = [4, 8, 16, 32]
SEEDS = range(5)


def shop(names, *, n_people, n_items, n_makers, seed):
    """A purchase graph and (person, item) examples of its purchase relation.

    Each person follows 3 others and likes 2 makers, and has bought 2 items of
    liked makers (facts of the graph). The example to predict for each person
    is a further purchase, held out of the graph: an item someone they follow
    bought, or another item of a maker they bought from. Negatives are pairs
    drawn at random among the items they did not buy.
    """
    rng = np.random.RandomState(seed)
    people = [f"{names['prefix']}p{i}" for i in range(n_people)]
    items = [f"{names['prefix']}i{j}" for j in range(n_items)]
    maker_of = rng.randint(n_makers, size=n_items)
    facts = {names["makes"]: [], names["follows"]: [], names["buys"]: []}
    for j, item in enumerate(items):
        facts[names["makes"]].append((f"{names['prefix']}m{maker_of[j]}", item))
    follows = {p: rng.choice(n_people, 3, replace=False) for p in range(n_people)}
    for p, followed in follows.items():
        facts[names["follows"]] += [(people[p], people[q]) for q in followed if q != p]
    baskets = {}
    for p in range(n_people):
        liked = rng.choice(n_makers, 2, replace=False)
        pool = np.flatnonzero(np.isin(maker_of, liked))
        baskets[p] = set(rng.choice(pool, min(2, len(pool)), replace=False))
    positives = []
    for p in range(n_people):  # the purchase to predict, held out of the graph
        followed = set().union(*(baskets[q] for q in follows[p])) - baskets[p]
        liked = set(np.flatnonzero(np.isin(maker_of, maker_of[list(baskets[p])])))
        pool = sorted(followed | (liked - baskets[p]))
        if pool:
            positives.append([people[p], items[rng.choice(pool)]])
    for p, basket in baskets.items():
        facts[names["buys"]] += [(people[p], items[j]) for j in basket]
    schema = {
        names["makes"]: ("maker", "item"),
        names["follows"]: ("person", "person"),
        names["buys"]: ("person", "item"),
    }
    graph = RelationalGraph.from_facts(facts, schema=schema)
    bought = {tuple(pair) for pair in facts[names["buys"]]} | {
        tuple(pair) for pair in positives
    }
    negatives = []
    while len(negatives) < len(positives):
        pair = (people[rng.randint(n_people)], items[rng.randint(n_items)])
        if pair not in bought:
            negatives.append(list(pair))
    X = np.array(positives + negatives, dtype=object)
    y = np.r_[np.ones(len(positives), int), np.zeros(len(negatives), int)]
    return graph, X, y


BOOKS = {"prefix": "b", "makes": "wrote", "follows": "friend", "buys": "bought"}
GADGETS = {"prefix": "e", "makes": "makes", "follows": "follows", "buys": "purchased"}
books, X_books, y_books = shop(BOOKS, n_people=150, n_items=120, n_makers=30, seed=0)
gadgets, X_gadgets, y_gadgets = shop(
    GADGETS, n_people=150, n_items=100, n_makers=20, seed=1
)


def classifier(strength=1.0):
    return RelationalTransferClassifier(
        books,
        gadgets,
        source_relation="bought",
        target_relation="purchased",
        hide="query",
        strength=strength,
        random_state=0,
    )


def split(n_labeled, seed):
    rng = np.random.RandomState(seed)
    positive, negative = np.flatnonzero(y_gadgets == 1), np.flatnonzero(y_gadgets == 0)
    labeled = np.r_[
        rng.choice(positive, n_labeled // 2, replace=False),
        rng.choice(negative, n_labeled // 2, replace=False),
    ]
    return labeled, np.setdiff1d(np.arange(len(y_gadgets)), labeled)


def stacked(labeled):
    """Source pairs, then every gadget pair: the unlabeled ones carry -1."""
    target_labels = np.full(len(y_gadgets), -1)
    target_labels[labeled] = y_gadgets[labeled]
    X = np.vstack([X_books, X_gadgets])
    y = np.r_[y_books, target_labels]
    domain = np.r_[np.ones(len(y_books), int), -2 * np.ones(len(y_gadgets), int)]
    return X, y, domain


scores = {"transfer": [], "scratch": [], "mapped source (no target label)": []}
for n_labeled in LABELED:
    row = {name: [] for name in scores}
    for seed in SEEDS:
        labeled, test = split(n_labeled, seed)
        X, y, domain = stacked(labeled)
        transfer = classifier().fit(X, y, sample_domain=domain)
        scratch = transfer.scratch().fit(X_gadgets[labeled], y_gadgets[labeled])
        unlabeled = np.where(domain < 0, -1, y)  # no target label at all
        zero_shot = classifier().fit(X, unlabeled, sample_domain=domain)
        for name, model in [
            ("transfer", transfer),
            ("scratch", scratch),
            ("mapped source (no target label)", zero_shot),
        ]:
            auc = roc_auc_score(
                y_gadgets[test], model.decision_function(X_gadgets[test])
            )
            row[name].append(auc)
    for name in scores:
        scores[name].append(row[name])
    print(
        f"{n_labeled:>3} labeled pairs: "
        + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in row.items())
    )
print("mapping:", transfer.mapping_)

figure, axis = plt.subplots(figsize=(7, 4.5))
for (name, values), style in zip(scores.items(), ["o-", "s-", "--"]):
    values = np.array(values)
    mean = values.mean(axis=1)
    se = values.std(axis=1, ddof=1) / np.sqrt(values.shape[1])
    axis.errorbar(LABELED, mean, yerr=se, fmt=style, capsize=3, label=name)
axis.set_xscale("log", base=2)
axis.set_xticks(LABELED, [str(n) for n in LABELED])
axis.set_xlabel("labeled customer-gadget pairs (half purchases)")
axis.set_ylabel("ROC AUC on held-out pairs")
axis.set_title("Cold start: rules from books transferred to electronics")
axis.legend()
figure.tight_layout()

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=110)
else:
    plt.show()
