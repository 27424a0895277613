"""Process memory readings on Linux, shared by the peer and worker scripts.

Standard library only: the scripts run in our environment and in the peers'
virtual environments alike, and import this from their own directory.
"""

import resource


def status_mb(key):
    """A ``/proc/self/status`` size field (``VmRSS``, ``VmHWM``) in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def maxrss_mb():
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MiB (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_high_water_mark():
    """Reset ``VmHWM`` (write 5 to ``/proc/self/clear_refs``); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True
