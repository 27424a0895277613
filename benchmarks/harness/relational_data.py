"""Relational data of the ``relational_transfer`` study: IMDB, UW-CSE, Twitter, Yeast.

Everything is read from the project's shared data folder
(``../shared/data/relational`` relative to the project root); a missing
folder raises :class:`FileNotFoundError` naming the path, so the study can
record that its data are missing. The loaders return plain Python / numpy
objects (facts, schemas, entity-pair arrays); the graphs are built by the
caller.

IMDB (source, ``IMDB.srlearn.zip``, MIT)
    srlearn's copy is a *gender* task: ``train/`` and ``test/`` hold nearly
    the same facts (train has one more ``workedunder`` fact, test one fewer
    ``female_gender`` positive); their union is the whole data set. Three
    harmonizations, all reported by the benchmark:

    * ``female_gender(x)`` (the srlearn target, in ``*_pos.txt``) becomes
      ``female(x)``, the name the TreeBoostler modes use;
    * the ``director(x)`` facts are commented out (``//director(x).``) in
      srlearn's copy, to hide them from the gender task; they are read back
      (TreeBoostler's IMDB has ``director``); the other commented lines
      (``//gender``, ``//same*``) stay out (``gender`` repeats ``female``);
    * the schema is the TreeBoostler modes' (``modes.treeboostler.txt``).

    Examples of ``workedunder``: the facts are the positives; negatives are
    closed-world, ordered pairs of distinct persons that are not a
    ``workedunder`` fact, drawn uniformly with a fixed seed
    (``neg_ratio`` per positive).

UW-CSE (target, ``srlearn_folds_test_only/fold1..5``, MIT)
    Each fold's test files are one research area (disjoint entities). One
    graph of the union of the five areas' facts, without the facts of
    ``advisedby`` (the target; not in the fact files anyway) and
    ``tempadvisedby`` (a temporary advisor relation: label-adjacent, so its
    facts are dropped). Schema: the TreeBoostler modes (which do not declare
    ``taughtby``: its types are inferred from the facts, ``ta``'s types).
    Examples: each area's ``test_pos.txt`` / ``test_neg.txt`` (all other
    person pairs of the area). Pairs naming an entity absent from every fact
    are dropped (counted). The TreeBoostler JSON's explicit ``advisedby``
    negatives (a subset of srlearn's) are read too, to report average
    precision at TreeBoostler's class ratio.

Twitter and Yeast (TreeBoostler JSONs; benchmark use only, never shipped)
    ``[facts_by_fold, negatives_by_fold]``. The inverse label copies
    (``typeaccount``, ``classprotein``) are dropped, and so are all facts of
    the target (``accounttype``, ``proteinclass``). The class entities
    (``fan``, ``pcid...``) then appear in no relation, so no relation path
    can reach them and every path feature of an ``(entity, class)`` pair is
    zero: the task needs the labels of *other* entities, which is what
    TreeBoostler's ``recursion_<target>`` modes give RDN-B. Here they are a
    relation of their own, ``known_<target>(entity, class)``, holding the
    labels of the entities of every fold but the test fold, minus the
    entities labeled in the test fold (Twitter's two folds share 61 labeled
    accounts, with the same labels) and minus the entities of the labeled
    training rows, so neither a training row nor a test row sees its own
    label. Training rows are drawn among the training fold's entities that
    are not labeled in the test fold. The ``recursion_*`` mode lines are ignored;
    ``known_<target>`` takes the target's types. The class entities are
    renamed ``class_<name>``: Twitter's classes ``club``, ``fan`` and ``news``
    are also words (``tweets(a, club)``) and an entity has one type.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from .paths import SHARED_DATA

DEFAULT_DATA_DIR = SHARED_DATA / "relational"

_ATOM = re.compile(r"^\s*([A-Za-z_]\w*)\s*\((.*)\)\s*\.?\s*$")

IMDB_TARGET = "workedunder"
UWCSE_TARGET = "advisedby"
UWCSE_DROPPED = ("advisedby", "tempadvisedby")
# Class entities are renamed: Twitter's "club", "fan" and "news" are also
# words (``tweets(a, club)``), and an entity has one type.
CLASS_PREFIX = "class_"
CLASS_TASKS = {
    "twitter": {"target": "accounttype", "inverse": "typeaccount"},
    "yeast": {"target": "proteinclass", "inverse": "classprotein"},
}


def data_dir(root=None):
    path = Path(root) if root is not None else DEFAULT_DATA_DIR
    if not path.is_dir():
        raise FileNotFoundError(f"relational data folder not found: {path}")
    return path


def parse_atom(line):
    """``"p(a, b)."`` -> ``("p", ("a", "b"))``; None for blank lines and comments."""
    line = line.strip()
    if not line or line.startswith(("%", "//", "#")):
        return None
    match = _ATOM.match(line)
    if match is None:
        raise ValueError(f"not a ground atom: {line!r}")
    relation, args = match.groups()
    return relation, tuple(a.strip().strip('"') for a in args.split(","))


def mode_lines(path, skip_prefix=None):
    """The mode declarations of a modes file, without those of ``skip_prefix*``."""
    lines = Path(path).read_text().splitlines()
    if skip_prefix:
        lines = [ln for ln in lines if not ln.strip().startswith(skip_prefix)]
    return lines


# ------------------------------------------------------------------ IMDB ---


def load_imdb(root=None, *, neg_ratio=2, seed=0, director=True):
    """IMDB facts, schema lines and ``workedunder`` examples.

    Returns a dict: ``facts`` [(relation, args)], ``mode_lines``, ``X`` (n, 2)
    object array of (person, person), ``y`` (1 for a fact, 0 for a drawn
    negative), ``notes`` (what was harmonized, with counts).
    """
    base = data_dir(root) / "imdb"
    facts, female = set(), set()
    directors = set()
    with zipfile.ZipFile(base / "IMDB.srlearn.zip") as archive:
        for split in ("train", "test"):
            text = archive.read(f"IMDB/{split}/{split}_facts.txt").decode()
            for line in text.splitlines():
                stripped = line.strip()
                if stripped.startswith("//director("):
                    directors.add(parse_atom(stripped[2:]))
                    continue
                atom = parse_atom(line)
                if atom is not None:
                    facts.add(atom)
            pos = archive.read(f"IMDB/{split}/{split}_pos.txt").decode()
            for line in pos.splitlines():
                atom = parse_atom(line)
                if atom is not None:
                    if atom[0] != "female_gender":
                        raise ValueError(f"unexpected IMDB positive {atom}")
                    female.add(("female", atom[1]))
    facts |= female
    if director:
        facts |= directors
    facts = sorted(facts)
    positives = sorted({a for r, a in facts if r == IMDB_TARGET})
    persons = set()
    for relation, args in facts:
        if relation in ("workedunder", "female", "actor", "director"):
            persons.update(args)
        elif relation == "movie":
            persons.add(args[1])
        elif relation == "genre":
            persons.add(args[0])
    persons = sorted(persons)
    known = set(positives)
    rng = np.random.RandomState(seed)
    negatives = set()
    wanted = neg_ratio * len(positives)
    while len(negatives) < wanted:
        a, b = rng.choice(len(persons), 2, replace=False)
        pair = (persons[a], persons[b])
        if pair not in known:
            negatives.add(pair)
    negatives = sorted(negatives)
    X = np.array(positives + negatives, dtype=object)
    y = np.r_[np.ones(len(positives), int), np.zeros(len(negatives), int)]
    counts = dict(Counter(relation for relation, _ in facts))
    return {
        "facts": facts,
        "mode_lines": mode_lines(base / "modes.treeboostler.txt"),
        "X": X,
        "y": y,
        "fact_counts": counts,
        "n_persons": len(persons),
        "notes": {
            "female_from_female_gender_pos": len(female),
            "director_from_commented_lines": len(directors) if director else 0,
            "negatives": f"closed world, {neg_ratio} per positive, seed {seed}",
        },
    }


# ---------------------------------------------------------------- UW-CSE ---


def _atoms(path):
    return [a for a in map(parse_atom, Path(path).read_text().splitlines()) if a]


def load_uwcse(root=None):
    """UW-CSE areas: facts (``advisedby``/``tempadvisedby`` dropped) and examples.

    Returns a dict: ``facts``, ``mode_lines``, ``areas`` (list of dicts per
    fold: ``name``, ``pos`` and ``neg`` (n, 2) object arrays, ``tb_neg`` the
    TreeBoostler explicit negatives of the area), ``dropped`` (fact counts
    left out per relation), ``fact_counts``.
    """
    base = data_dir(root) / "uwcse"
    folds = base / "srlearn_folds_test_only"
    facts, dropped = [], {}
    areas = []
    for k in range(1, 6):
        for relation, args in _atoms(folds / f"fold{k}" / "test_facts.txt"):
            if relation in UWCSE_DROPPED:
                dropped[relation] = dropped.get(relation, 0) + 1
            else:
                facts.append((relation, args))
        pos = [a for r, a in _atoms(folds / f"fold{k}" / "test_pos.txt")]
        neg = [a for r, a in _atoms(folds / f"fold{k}" / "test_neg.txt")]
        areas.append({"name": f"fold{k}", "pos": pos, "neg": neg})
    facts = list(dict.fromkeys(facts))
    # TreeBoostler's explicit negatives, matched to the areas by their positives.
    tb_facts, tb_negs = json.loads((base / "uwcse.treeboostler.json").read_text())
    for area in areas:
        positives = set(map(tuple, area["pos"]))
        area["tb_neg"] = None
        for j, fold in enumerate(tb_facts):
            if set(map(tuple, fold.get(UWCSE_TARGET, []))) == positives:
                area["tb_neg"] = [tuple(a) for a in tb_negs[j].get(UWCSE_TARGET, [])]
                area["tb_fold"] = j
    entities = {e for _, args in facts for e in args}
    n_missing = 0
    for area in areas:
        for key in ("pos", "neg", "tb_neg"):
            pairs = area[key] or []
            kept = [p for p in pairs if p[0] in entities and p[1] in entities]
            n_missing += len(pairs) - len(kept) if key != "tb_neg" else 0
            area[key] = np.array(kept, dtype=object).reshape(-1, 2)
    counts = dict(Counter(relation for relation, _ in facts))
    return {
        "facts": facts,
        "mode_lines": mode_lines(base / "modes.treeboostler.txt"),
        "areas": areas,
        "dropped": dropped,
        "fact_counts": counts,
        "n_pairs_missing_entity": n_missing,
    }


# -------------------------------------------------------- Twitter, Yeast ---


def load_class_task(name, root=None):
    """Facts per fold (target and inverse dropped), labels per fold, modes.

    Returns a dict: ``target``, ``known`` (the name of the label-copy
    relation), ``folds`` (list of {relation: [args]} without the target and
    the inverse), ``labels`` (list of {entity: set of classes}), ``classes``
    (sorted, all folds), ``mode_lines`` (``recursion_*`` lines left out),
    ``negatives_given`` (explicit target negatives per fold; empty here).
    """
    spec = CLASS_TASKS[name]
    base = data_dir(root) / name
    facts_by_fold, negs_by_fold = json.loads(
        (base / f"{name}.treeboostler.json").read_text()
    )
    target, inverse = spec["target"], spec["inverse"]
    folds, labels = [], []
    for fold in facts_by_fold:
        folds.append(
            {
                r: [tuple(a) for a in v]
                for r, v in fold.items()
                if r not in (target, inverse)
            }
        )
        fold_labels = {}
        for entity, cls in fold.get(target, []):
            fold_labels.setdefault(entity, set()).add(CLASS_PREFIX + cls)
        labels.append(fold_labels)
    classes = sorted({c for lab in labels for cs in lab.values() for c in cs})
    return {
        "name": name,
        "target": target,
        "inverse": inverse,
        "known": f"known_{target}",
        "folds": folds,
        "labels": labels,
        "classes": classes,
        "mode_lines": mode_lines(base / "modes.treeboostler.txt", "recursion_"),
        "negatives_given": [len(n.get(target, [])) for n in negs_by_fold],
    }


def class_task_facts(task, test_fold, hidden_entities):
    """The facts of a Twitter/Yeast graph for one run.

    All folds' facts (target and inverse already dropped) plus
    ``known_<target>(e, c)`` for the labels of every fold but ``test_fold``,
    except those of the entities labeled in ``test_fold`` (Twitter's two folds
    share 61 labeled accounts) and of ``hidden_entities`` (the labeled
    training rows').
    """
    facts = []
    for fold in task["folds"]:
        for relation, rows in fold.items():
            facts += [(relation, args) for args in rows]
    hidden = set(hidden_entities) | set(task["labels"][test_fold])
    for k, fold_labels in enumerate(task["labels"]):
        if k == test_fold:
            continue
        for entity, classes in fold_labels.items():
            if entity in hidden:
                continue
            facts += [(task["known"], (entity, c)) for c in sorted(classes)]
    return list(dict.fromkeys(facts))


def fact_entities(task):
    """Entities that appear in some fact other than a label."""
    return {
        e for fold in task["folds"] for rows in fold.values() for a in rows for e in a
    }


def class_pairs(task, fold, classes, entities, exclude=()):
    """All ``(entity, class)`` pairs of a fold's labeled entities, with labels.

    ``classes``: the classes to pair with (those the graph knows); only
    entities in ``entities`` (present in the graph) and not in ``exclude``
    are kept. Returns ``X`` (n, 2), ``y`` and the number of labeled entities
    left out for being absent from the graph.
    """
    rows, y, left_out = [], [], 0
    exclude = set(exclude)
    for entity, true in sorted(task["labels"][fold].items()):
        if entity in exclude:
            continue
        if entity not in entities:
            left_out += 1
            continue
        for c in classes:
            rows.append((entity, c))
            y.append(int(c in true))
    return np.array(rows, dtype=object).reshape(-1, 2), np.array(y, int), left_out
