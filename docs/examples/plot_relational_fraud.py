"""
Relational transfer for fraud: shared devices across two products
=================================================================

Fraud rings reuse devices and IP addresses: an account that shares a device
with a known fraudulent account is suspect. A bank has years of labels for its
card product (``card_device``, ``card_ip``, ``card_fraud``) and a new loan
product with its own data (``loan_device``, ``loan_ip``, ``loan_fraud``) and
a handful of confirmed fraud cases.

This is a node task: ``X`` holds one account per row. Each account's features
are relation paths to accounts with a known label
(``path:card_device/card_device^-1:card_fraud``: "shares a device with a
fraudulent account"); an account's own label is always hidden. In the loan
graph only the labeled accounts' fraud facts are known.
:class:`~sktransfer.relational.RelationalTransferClassifier` learns the rules
on the card graph, maps ``card_*`` onto ``loan_*`` and uses them as the prior
of the loan model.

The figure shows ROC AUC on the unlabeled loan accounts against the number of
labeled loan accounts (half of them fraudulent), for transfer and for the
same learner without the card data (scratch): mean and standard error over 5
draws.

Run: ``python docs/examples/plot_relational_fraud.py [output.png]``
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


def product(prefix, *, n_accounts, n_rings, ring_size, seed):
    """Accounts, their devices and IPs; rings of fraudsters share both."""
    rng = np.random.RandomState(seed)
    accounts = [f"{prefix}a{i}" for i in range(n_accounts)]
    fraud = np.zeros(n_accounts, dtype=bool)
    device, ip = {}, {}
    members = rng.permutation(n_accounts)[: n_rings * ring_size]
    for ring, chunk in enumerate(np.split(members, n_rings)):
        fraud[chunk] = True
        for i in chunk:
            device[i] = [f"{prefix}ring{ring}d{rng.randint(2)}"]
            ip[i] = [f"{prefix}ring{ring}ip"]
    for i in range(n_accounts):
        device.setdefault(i, [f"{prefix}d{i}"])
        ip.setdefault(i, [f"{prefix}ip{rng.randint(n_accounts // 3)}"])  # shared NAT
    facts = {
        f"{prefix}_device": [(accounts[i], d) for i in device for d in device[i]],
        f"{prefix}_ip": [(accounts[i], a) for i in ip for a in ip[i]],
    }
    return accounts, fraud, facts


def graph(prefix, accounts, fraud, facts, known):
    """The product's graph with the fraud labels of the ``known`` accounts."""
    schema = {
        f"{prefix}_device": ("account", "device"),
        f"{prefix}_ip": ("account", "ip"),
        f"{prefix}_fraud": ("account",),
    }
    labels = {f"{prefix}_fraud": [accounts[i] for i in known if fraud[i]]}
    return RelationalGraph.from_facts({**facts, **labels}, schema=schema)


cards, card_fraud, card_facts = product(
    "card", n_accounts=400, n_rings=12, ring_size=5, seed=0
)
loans, loan_fraud, loan_facts = product(
    "loan", n_accounts=300, n_rings=8, ring_size=5, seed=1
)
card_graph = graph("card", cards, card_fraud, card_facts, range(len(cards)))

scores = {"transfer": [], "scratch": []}
for n_labeled in LABELED:
    row = {name: [] for name in scores}
    for seed in SEEDS:
        rng = np.random.RandomState(seed)
        labeled = np.r_[
            rng.choice(np.flatnonzero(loan_fraud), n_labeled // 2, replace=False),
            rng.choice(np.flatnonzero(~loan_fraud), n_labeled // 2, replace=False),
        ]
        test = np.setdiff1d(np.arange(len(loans)), labeled)
        loan_graph = graph("loan", loans, loan_fraud, loan_facts, labeled)
        # Every loan account is a target row; the unlabeled ones carry -1.
        X = np.array(cards + loans, dtype=object)[:, None]
        loan_labels = np.full(len(loans), -1)
        loan_labels[labeled] = loan_fraud[labeled]
        y = np.r_[card_fraud.astype(int), loan_labels]
        domain = np.r_[np.ones(len(cards), int), -2 * np.ones(len(loans), int)]
        target_rows = np.r_[np.zeros(len(cards), bool), loan_labels != -1]
        transfer = RelationalTransferClassifier(
            card_graph,
            loan_graph,
            source_relation="card_fraud",
            target_relation="loan_fraud",
            max_length=2,
            random_state=0,
        ).fit(X, y, sample_domain=domain)
        scratch = transfer.scratch().fit(X[target_rows], y[target_rows])
        X_test = np.array([loans[i] for i in test], dtype=object)[:, None]
        for name, model in [("transfer", transfer), ("scratch", scratch)]:
            row[name].append(
                roc_auc_score(loan_fraud[test], model.decision_function(X_test))
            )
    for name in scores:
        scores[name].append(row[name])
    print(
        f"{n_labeled:>3} labeled loan accounts: "
        + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in row.items())
    )
print("mapping:", transfer.mapping_)

figure, axis = plt.subplots(figsize=(7, 4.5))
for (name, values), style in zip(scores.items(), ["o-", "s-"]):
    values = np.array(values)
    mean = values.mean(axis=1)
    se = values.std(axis=1, ddof=1) / np.sqrt(values.shape[1])
    axis.errorbar(LABELED, mean, yerr=se, fmt=style, capsize=3, label=name)
axis.set_xscale("log", base=2)
axis.set_xticks(LABELED, [str(n) for n in LABELED])
axis.set_xlabel("labeled loan accounts (half fraudulent)")
axis.set_ylabel("ROC AUC on the other loan accounts")
axis.set_title("Fraud rules learned on cards, transferred to loans")
axis.legend()
figure.tight_layout()

# With a path as its argument the script writes the figure there; without,
# it shows it (in the gallery, the figure is captured from here).
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=110)
else:
    plt.show()
