"""The ``sample_domain`` convention (work in progress)."""

DEFAULT_SOURCE_ID = 1
DEFAULT_TARGET_ID = -2
