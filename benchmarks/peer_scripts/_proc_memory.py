"""Process memory readings on Linux, shared by the peer and worker scripts.

Standard library only: the scripts run in our environment and in the peers'
virtual environments alike, and import this from their own directory.
"""

import gc
import resource
import time


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


def measured_call(function):
    """``function()`` with the high-water mark reset just before it.

    Returns ``(result, readings)``; ``readings`` (MiB, seconds): ``rss_before``
    and ``peak_before`` (``VmRSS``, ``VmHWM`` after a garbage collection),
    ``maxrss_before``, ``hwm_reset`` (False: the reset was refused, and
    ``peak`` is the whole process's), ``seconds`` of the call, ``peak``
    (``VmHWM`` after it: the call's peak) and ``maxrss_after``.
    """
    gc.collect()
    readings = {
        "rss_before": status_mb("VmRSS"),
        "peak_before": status_mb("VmHWM"),
        "maxrss_before": maxrss_mb(),
        "hwm_reset": reset_high_water_mark(),
    }
    t0 = time.perf_counter()
    result = function()
    readings["seconds"] = time.perf_counter() - t0
    readings["peak"] = status_mb("VmHWM")
    readings["maxrss_after"] = maxrss_mb()
    return result, readings
