"""Report helpers shared by the benchmark scripts: markdown tables, paired verdicts."""

import shlex

import numpy as np


def md_table(header, rows):
    """A markdown table from a header and rows of printable cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(gain, se, words=("win", "tie", "loss")):
    """``words[0]`` / ``words[2]`` when the mean gain is beyond 2 standard
    errors above / below zero, else ``words[1]``."""
    if gain > 2 * se and gain > 0:
        return words[0]
    if gain < -2 * se and gain < 0:
        return words[2]
    return words[1]


def fmt_time(seconds):
    """Seconds with 3 decimals below 10 s, 1 above; "–" for None."""
    if seconds is None:
        return "–"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_load(load):
    """Load averages as "a / b / c"; "–" when there are none."""
    return "–" if not load else " / ".join(f"{x:.2f}" for x in load)


def command_line(meta):
    """The report's "- command: ..." line from ``meta["argv"]``."""
    return f"- command: `{' '.join(shlex.quote(a) for a in meta['argv'])}`"


def machine_line(meta):
    """The report's "- machine: ..." line from ``meta["machine"]``."""
    m = meta["machine"]
    return (
        f"- machine: {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_gib']:.0f} GiB RAM, {m['system']}"
    )


def warning_lines(rows):
    """One line per warning recorded in the rows ("- none" without any)."""
    lines = []
    for r in rows:
        for w in r.get("warnings") or []:
            lines.append(
                f"- n_s = {r['n_source']}, {r['method']}: {w['category']} ×"
                f"{w['count']}: {w['message'][:300]}"
            )
    return lines or ["- none"]


def paired(frame, index, column, value, a, b):
    """Mean and standard error of ``value[a] - value[b]``, paired on ``index``.

    ``frame`` is long (one row per index and ``column`` entry); pairs with a
    side missing are left out. Returns ``(mean, standard error, pairs)``.
    """
    table = frame.pivot(index=index, columns=column, values=value)
    diff = (table[a] - table[b]).dropna()
    n = len(diff)
    se = diff.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return float(diff.mean()), float(se), n
