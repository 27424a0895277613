"""Command-line options that several studies define the same way.

A study's ``add_arguments`` calls these where its options are one of these
groups; the defaults that differ from study to study are arguments. Each
function adds its options in the order listed, so a study's ``--help`` and the
``settings`` of its runs keep their order.
"""


def add_choice_list(parser, flag, choices, *, nargs="+", default=None, help=None):
    """``flag``: some of ``choices``, by default all of them in their order."""
    parser.add_argument(
        flag,
        nargs=nargs,
        choices=choices,
        default=list(choices) if default is None else default,
        help=help,
    )


def add_data_dir(parser, help="default ../shared/data", default=None):
    """``--data-dir``: where the study reads its data (``None``: the shared
    data folder)."""
    parser.add_argument("--data-dir", default=default, help=help)


def add_project_data_options(parser, max_rows_help):
    """``--data-dir`` (the shared data folder, relative to the project root:
    :func:`benchmarks.harness.datasets.project_data_dir`) and ``--max-rows``."""
    add_data_dir(
        parser,
        default="../shared/data",
        help="the shared data folder, relative to the project root",
    )
    add_max_rows(parser, max_rows_help)


def add_max_rows(parser, help):
    """``--max-rows N``: keep N rows of each data set (default all)."""
    parser.add_argument("--max-rows", type=int, default=None, help=help)


def add_worker_options(parser):
    """``--n-jobs`` (worker processes, 1 or 2: the machine is shared) and
    ``--blas-threads`` (1) for each of them."""
    parser.add_argument(
        "--n-jobs",
        type=int,
        choices=(1, 2),
        default=2,
        help="worker processes (the machine is shared: 2 at most)",
    )
    parser.add_argument("--blas-threads", type=int, default=1)


def add_method_options(parser, methods, max_n_help):
    """``--methods`` (some of ``methods``, default all) and ``--max-n
    METHOD=N ...`` (read by :func:`benchmarks.harness.study.parse_max_n`)."""
    add_choice_list(parser, "--methods", list(methods))
    parser.add_argument("--max-n", nargs="*", default=[], help=max_n_help)


def add_timing_options(parser, *, blas_threads, repeats, repeat_budget, timeout):
    """``--blas-threads`` of the timed workers, ``--repeats`` (timed runs per
    worker process while under ``--repeat-budget`` seconds) and ``--timeout``
    (seconds per worker process)."""
    parser.add_argument("--blas-threads", type=int, default=blas_threads)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--repeat-budget", type=float, default=repeat_budget)
    parser.add_argument("--timeout", type=float, default=timeout)


def add_contention_options(parser):
    """The waits and retries of :func:`benchmarks.harness.processes.least_contended`:
    ``--quiet-wait`` (120 s), ``--quiet-cores`` (0.5), ``--contended-cores``
    (0.25), ``--retries`` (1) and ``--retry-wait`` (900 s)."""
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    parser.add_argument("--quiet-cores", type=float, default=0.5)
    parser.add_argument("--contended-cores", type=float, default=0.25)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--retry-wait", type=float, default=900.0)


def contention_arguments(options):
    """The keyword arguments of ``least_contended`` from the options of
    :func:`add_contention_options`."""
    return {
        "quiet_wait": options.quiet_wait,
        "retry_wait": options.retry_wait,
        "quiet_cores": options.quiet_cores,
        "contended_cores": options.contended_cores,
        "retries": options.retries,
    }
