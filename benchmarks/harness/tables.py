"""Markdown for a study's report: tables, number formats, the run header."""

import math
import shlex


def md_table(header, rows):
    """A markdown table from a header and rows of printable cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(x, spec=".3f", missing="–"):
    """``format(x, spec)``; ``missing`` for None and NaN."""
    if x is None or x != x:
        return missing
    return format(x, spec)


def fmt_pm(mean, se, spec=".3f", missing="–"):
    """``mean ± se``, each ``format(x, spec)`` (the ``se`` without a ``+``
    sign); the mean alone when ``se`` is None or not finite; ``missing`` when
    the mean is (``missing=None``: the mean formatted as it is)."""
    if mean is None or not math.isfinite(mean):
        return format(mean, spec) if missing is None else missing
    if se is None or not math.isfinite(se):
        return format(mean, spec)
    return f"{format(mean, spec)} ± {format(se, spec.lstrip('+'))}"


def fmt_time(seconds):
    """Seconds with 3 decimals below 10 s, 1 above; "–" for None."""
    if seconds is None:
        return "–"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_load(load):
    """Load averages as "a / b / c"; "–" when there are none."""
    return "–" if not load else " / ".join(f"{x:.2f}" for x in load)


def warning_lines(rows):
    """One line per warning recorded in the rows (``r["warnings"]``: dicts of
    category, message, count, as the peer scripts report them), "- none"
    without any."""
    lines = []
    for r in rows:
        for w in r.get("warnings") or []:
            lines.append(
                f"- n_s = {r['n_source']}, {r['method']}: {w['category']} ×"
                f"{w['count']}: {w['message'][:300]}"
            )
    return lines or ["- none"]


def fmt_settings(settings):
    """``key value; ...`` for the run's study options."""
    return "; ".join(f"{key} {value}" for key, value in settings.items())


def header_lines(meta):
    """What every report opens with: the command, when and how long, the
    machine and its load, the measured code and versions, peers, options."""
    lines = [f"- command: `{' '.join(shlex.quote(a) for a in meta['argv'])}`"]
    if meta.get("smoke"):
        lines.append(
            "- SMOKE RUN: tiny sizes to check that the study runs; not results"
        )
    if "seconds" in meta:
        lines.append(
            f"- started {meta['started']}, finished {meta['finished']} "
            f"({meta['seconds'] / 60:.1f} min)"
        )
    elif "started" in meta:
        lines.append(f"- started {meta['started']}")
    m = meta.get("machine")
    if m:
        # Results migrated from before the harness may lack a field.
        cpu = f" ({m['cpu']})" if m.get("cpu") else ""
        ram = f", {m['memory_gib']:.0f} GiB RAM" if m.get("memory_gib") else ""
        system = f", {m['system']}" if m.get("system") else ""
        lines.append(f"- machine: {m['cores']} cores{cpu}{ram}{system}")
    if "loadavg_start" in meta:
        lines.append(
            f"- load averages (1, 5, 15 min): {fmt_load(meta['loadavg_start'])} at "
            f"start, {fmt_load(meta.get('loadavg_end'))} at end"
        )
    code = meta.get("code")
    if code:
        files = ", ".join(
            f"`{path}` {digest[:12]}" for path, digest in code["files_sha1"].items()
        )
        modified = ", sktransfer/ modified vs HEAD" if code["source_modified"] else ""
        lines.append(
            f"- code: git {code['git_head'][:10]}{modified}"
            + (f"; sha1 {files}" if files else "")
        )
    v = meta.get("versions")
    if v:
        lines.append(
            f"- versions: sktransfer {v['sktransfer']}, scikit-learn "
            f"{v['scikit-learn']}, scipy {v.get('scipy', '?')}, numpy {v['numpy']}, "
            f"networkx {v.get('networkx', '?')}, Python {v['python']}"
        )
    for name, info in (meta.get("peers") or {}).items():
        if info:
            versions = ", ".join(
                f"{k} {val}" for k, val in info.get("versions", {}).items()
            )
            lines.append(f"- peer {name}: own venv ({versions})")
        else:
            lines.append(f"- peer {name}: not run")
    if meta.get("settings"):
        lines.append(f"- options: {fmt_settings(meta['settings'])}")
    if meta.get("note"):
        lines.append(f"- note: {meta['note']}")
    return lines
