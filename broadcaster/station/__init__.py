"""The station daemon: the one process per sound output that makes the loudspeakers speak.

Pure planning (:mod:`.reconcile`) is kept apart from the clock (:mod:`.clock`), the sound server
(:mod:`.playout`, :mod:`.aircheck`), the amplifier (:mod:`.amp`) and the process lock
(:mod:`.lock`); :mod:`.daemon` wires them to the database. Nothing here imports Flask.
"""
from __future__ import annotations
