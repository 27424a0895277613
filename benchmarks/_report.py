"""Report helpers shared by the benchmark scripts: markdown tables, paired verdicts."""


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
