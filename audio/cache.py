"""The speech and render caches' size cap: least recently used files go first.

Why: every render and every new sentence adds files that are never removed, and anyone allowed
to render could fill the station's disk (a full disk also stops the evidence log). A hit
touches its file (:func:`touch`), so the modification time is the last use, which survives
``noatime`` mounts where the access time does not.

This module knows files only; which of them the station still needs (programs rendered for
upcoming broadcasts) the caller says with ``keep``.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

logger = logging.getLogger(__name__)

#: The cache's sub-folders that may be pruned (the breaker files at the top level stay).
PRUNABLE = ("speech", "levelled", "renders")
#: Files younger than this are being written or were just made for a waiting request.
FRESH_S = 120.0


@dataclass(frozen=True)
class PruneResult:
    files_removed: int
    bytes_removed: int
    bytes_left: int


def touch(path: Path) -> None:
    """Mark a cache file as just used (its modification time is the LRU clock)."""
    try:
        os.utime(path, None)
    except OSError:
        pass


def prune(cache_dir: Path, max_bytes: int, keep: Iterable[Path] = (),
          now: float | None = None) -> PruneResult:
    """Remove the least recently used files until the cache holds at most ``max_bytes``."""
    now = time.time() if now is None else now
    kept = {Path(p).resolve() for p in keep}
    files: list[tuple[float, int, Path]] = []
    total = 0
    for folder in PRUNABLE:
        base = Path(cache_dir) / folder
        if not base.is_dir():
            continue
        for entry in os.scandir(base):
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += stat.st_size
            files.append((stat.st_mtime, stat.st_size, Path(entry.path)))
    if total <= max_bytes:
        return PruneResult(0, 0, total)
    removed = removed_bytes = 0
    for mtime, size, path in sorted(files):
        if total <= max_bytes:
            break
        if now - mtime < FRESH_S or path.resolve() in kept:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
        removed_bytes += size
    if removed:
        logger.info("đã dọn %d tệp (%.1f MB) khỏi bộ nhớ đệm âm thanh, còn %.1f MB",
                    removed, removed_bytes / 1e6, total / 1e6)
    if total > max_bytes:
        logger.warning("bộ nhớ đệm âm thanh vẫn %.1f MB, quá giới hạn %.1f MB (tệp đang dùng)",
                       total / 1e6, max_bytes / 1e6)
    return PruneResult(removed, removed_bytes, total)
