"""What every study shares: provenance, fresh-process runs, peer environments,
paired statistics and report tables, the data loaders, the option groups of
several studies (:mod:`.options`) and the rows of missing data
(:mod:`.missing`).

Studies import from here and from sktransfer's public API only.
"""

from .newsgroups import labeled_target_split
from .paths import PEER_SCRIPTS, PROJECT_ROOT, RESULTS_DIR, SHARED_DATA
from .peers import PEERS, peer_info, save_task
from .processes import (
    best_time,
    caught_convergence,
    last_json,
    run_json_script,
    subprocess_env,
    thread_env,
    wait_for_quiet,
    watched,
    worker_env,
)
from .stats import mean_se, paired, paired_gain, verdict
from .study import Context
from .tables import fmt, fmt_load, fmt_time, md_table

__all__ = [
    "PEERS",
    "PEER_SCRIPTS",
    "PROJECT_ROOT",
    "RESULTS_DIR",
    "SHARED_DATA",
    "Context",
    "best_time",
    "caught_convergence",
    "fmt",
    "fmt_load",
    "fmt_time",
    "labeled_target_split",
    "last_json",
    "md_table",
    "mean_se",
    "paired",
    "paired_gain",
    "peer_info",
    "run_json_script",
    "save_task",
    "subprocess_env",
    "thread_env",
    "verdict",
    "wait_for_quiet",
    "watched",
    "worker_env",
]
