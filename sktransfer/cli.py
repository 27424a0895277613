"""The ``sktransfer`` command line."""

import argparse
import logging
import sys

from . import __version__


def _fraction(text):
    value = float(text)
    if not 0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 0.5); got {text}")
    return value


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {text}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="sktransfer",
        description="Classical transfer learning for scikit-learn.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="compare transfer methods with no-transfer baselines on bundled data",
        description=(
            "Fit the no-transfer baselines (source only, target only, pooled) and "
            "the transfer methods on a bundled real data set split into a source "
            "and a target domain, and print the target test score and fit time of "
            "each. Half of the target rows are the test set; a fraction of the "
            "target rows is labeled for training (--target-labels); the other "
            "training target rows are unlabeled. 'gain' is a transfer method's mean "
            "score minus the best baseline's."
        ),
    )
    demo.add_argument(
        "--dataset",
        choices=["mushroom", "credit"],
        default="mushroom",
        help=(
            "mushroom: UCI Mushroom split by stalk-shape (source enlarging, target "
            "tapering; accuracy); credit: UCI credit default split by EDUCATION "
            "(source graduate school + university, target high school; ROC AUC). "
            "Default: %(default)s"
        ),
    )
    demo.add_argument(
        "--target-labels",
        type=_fraction,
        default=0.01,
        metavar="FRACTION",
        help="fraction of the target rows labeled for training (default: %(default)s)",
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the first repeat (default: 0)"
    )
    demo.add_argument(
        "--repeats",
        type=_positive_int,
        default=5,
        help="number of random splits; the table shows mean ± std (default: 5)",
    )
    demo.add_argument(
        "--quiet", action="store_true", help="do not print progress to stderr"
    )
    return parser


def main(argv=None):
    """Entry point of the ``sktransfer`` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if not args.quiet:
        logging.basicConfig(
            level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True
        )
    from ._demo import format_table, run_demo

    rows = run_demo(
        args.dataset,
        target_labels=args.target_labels,
        seed=args.seed,
        repeats=args.repeats,
    )
    print(
        f"sktransfer demo: {args.dataset}, {args.target_labels:.1%} of target rows "
        f"labeled, {args.repeats} repeats from seed {args.seed}"
    )
    print(format_table(rows))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
