"""One log format for the station and its render worker: one line per record, to stderr.

Why here: the station's journal (``journalctl -u``) interleaves the daemon and its render worker,
a separate process that would otherwise print bare messages through Python's last-resort handler.
Both call :func:`configure` with the same level, so every line carries a timestamp, the level, the
logger's name and the process id.
"""
from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
#: Our own loggers speak at INFO for the journal; third parties (APScheduler...) only warn.
OWN_LOGGERS = ("broadcaster", "audio")


def configure(verbose: bool = False) -> None:
    """Send every record to stderr in :data:`FORMAT` (replacing any handler set before)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
