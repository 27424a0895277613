"""The ``sktransfer`` command line."""

import argparse
import logging
import sys

from . import __version__
from ._demo import MAX_SEED, check_seed_range, format_table, run_demo


def _parsed(text, convert, expected):
    """``convert(text)``, or an argparse error saying what was ``expected``."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text!r}") from None


def _fraction(text):
    expected = "a fraction in (0, 0.5)"
    value = _parsed(text, float, expected)
    if not 0 < value < 0.5:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text}")
    return value


def _positive_int(text):
    expected = "an integer of at least 1"
    value = _parsed(text, int, expected)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text}")
    return value


def _seed(text):
    expected = f"an integer in [0, {MAX_SEED}]"
    value = _parsed(text, int, expected)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text}")
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
        "--seed",
        type=_seed,
        default=0,
        help=(
            f"seed of the first repeat, in [0, {MAX_SEED}]; repeat r uses seed + r "
            "(default: 0)"
        ),
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
    # Errors that need several options are reported with the demo's usage.
    demo.set_defaults(command_parser=demo)
    return parser


def _check_last_seed(parser, args):
    """Exit with a usage error if a later repeat's seed passes ``MAX_SEED``."""
    try:
        check_seed_range(args.seed, args.repeats)
    except ValueError as error:
        parser.error(f"argument --seed: {error}")


def main(argv=None):
    """Entry point of the ``sktransfer`` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    _check_last_seed(args.command_parser, args)
    if not args.quiet:
        logging.basicConfig(
            level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True
        )
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
