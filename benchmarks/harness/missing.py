"""Runs whose data are missing: the rows that say so and their report lines.

A study whose data files are absent from the shared data folder (a loader
raises :class:`FileNotFoundError`, as :func:`.datasets.shared_file` does)
records a row saying so instead of failing, and its report says the data are
missing. A study of several protocols runs each with :func:`run_protocols`,
which records :func:`missing_row` for a protocol without data;
:func:`protocol_rows` and :func:`missing_section` read them back.
"""

MISSING = "data missing"


def missing_row(protocol, error):
    """The row of a protocol not run for want of its data."""
    return {"protocol": protocol, "status": MISSING, "detail": str(error)}


def run_protocols(protocols, runners, options, infos, log):
    """The rows of ``runners[protocol](options)`` for each of ``protocols``.

    A runner returns ``(rows, info)``; ``info`` goes to ``infos[protocol]``
    (the run's ``meta["data"]``). A runner that raises
    :class:`FileNotFoundError` gives one :func:`missing_row` (logged).
    """
    for protocol in protocols:
        try:
            rows, infos[protocol] = runners[protocol](options)
        except FileNotFoundError as exc:
            log.warning("%s protocol not run: %s", protocol, exc)
            yield missing_row(protocol, exc)
            continue
        yield from rows


def protocol_rows(rows, protocols):
    """``{protocol: its result rows}`` (no :func:`missing_row`)."""
    return {
        protocol: [
            r for r in rows if r["protocol"] == protocol and r.get("status") is None
        ]
        for protocol in protocols
    }


def missing_section(rows, titles):
    """The report's "Data missing" section (``titles``: protocol -> its name)
    for the :func:`missing_row` rows of a run; none without any."""
    missing = [r for r in rows if r.get("status") == MISSING]
    if not missing:
        return []
    return [
        "## Data missing",
        "",
        *[f"- {titles[r['protocol']]}: not run, {r['detail']}" for r in missing],
        "",
    ]


def no_results_report(missing):
    """The whole report of a run that found no data: the ``error`` of each of
    the ``missing`` rows."""
    return (
        "## No results: data missing\n\n"
        + "\n".join(f"- {r['error']}" for r in missing)
        + "\n"
    )


def not_run_lines(missing, name):
    """The report line naming the ``missing`` rows (``r[name]`` and
    ``r["note"]``) as not run; none without any."""
    if not missing:
        return []
    return [
        "- **not run, data missing**: "
        + "; ".join(f"{r[name]} ({r['note']})" for r in missing)
    ]
