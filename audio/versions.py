"""The version numbers in the render cache's keys, in a module that needs no numpy.

Why here: the station daemon computes a program's content key (:mod:`audio.plan`) to find a
finished render without its render worker, and must not import numpy or SciPy to do it.
"""
from __future__ import annotations

#: Bump when the way a program is joined changes, so cached renders are redone.
RENDER_VERSION = 2  # 2: joined with pydub
#: Bump when the levelling chain changes, so cached levelled items are rebuilt.
LEVEL_VERSION = 2
#: Bump when the jingle synthesis changes, so cached jingle files are made again.
JINGLE_VERSION = 1
