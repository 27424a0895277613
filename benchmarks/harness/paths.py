"""Where things are: the project, the benchmark package, results, peer scripts, data."""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PEER_SCRIPTS = BENCH_DIR / "peer_scripts"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
