"""Rendered table rows kept by their content, so a list page renders only rows it has not seen.

Why: on the panel's list pages (50 bulletins, 50 log entries) Jinja spent about half the CPU of a
request rendering rows: ten escaped expressions, a date in the station's zone and two labels per
row, the same rows again for every reader. A row's HTML depends only on what it shows, so the
cache key *is* what it shows (every value the row's macro reads, plus the link prefix): a
changed title, status, zone name or time gives a new key and a fresh render — nothing to
invalidate by hand, and no way to show a stale row. The app-wide settings a row also depends on
(the station's zone, the labels) are fixed for the app's life, and the cache lives in the app.

Bounded (least recently used out first), one lock, per process.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Iterable, Mapping

from flask import Flask, current_app
from markupsafe import Markup

FRAGMENTS_KEY = "loaxa_row_fragments"
#: Rows kept per process: a few pages of every list and filter people read (≈ 1 kB each).
DEFAULT_SIZE = 20_000


class RowCache:
    """An LRU map from a row's content key to its rendered, already escaped HTML."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._rows: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def render(self, rows: Iterable[Any], key: Callable[[Any], Hashable],
               render_one: Callable[[Any], str]) -> Markup:
        """The rows' HTML joined, rendering (outside the lock) only the keys not yet kept."""
        parts: list[str] = []
        fresh: list[tuple[Hashable, Markup]] = []
        rows_cache = self._rows
        with self._lock:
            keyed = [(key(row), row) for row in rows]
            cached = [rows_cache.get(k) for k, _ in keyed]
            for (k, _), html in zip(keyed, cached, strict=True):
                if html is not None:
                    rows_cache.move_to_end(k)
        for (k, row), html in zip(keyed, cached, strict=True):
            if html is None:
                html = Markup(render_one(row))
                fresh.append((k, html))
            parts.append(html)
        with self._lock:
            self.hits += len(keyed) - len(fresh)
            self.misses += len(fresh)
            for k, html in fresh:
                rows_cache[k] = html
            while len(rows_cache) > self.size:
                rows_cache.popitem(last=False)
        return Markup("".join(parts))

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


def row_cache(name: str) -> RowCache:
    """This app's cache for one kind of row (``"bulletins"``, ``"logs"``)."""
    caches: dict[str, RowCache] = current_app.extensions[FRAGMENTS_KEY]
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, RowCache(int(current_app.config.get(
            "ROW_CACHE_SIZE", DEFAULT_SIZE))))
    return cache


def rendered_rows(name: str, template: str, macro: str, rows: Iterable[Any],
                  key: Callable[[Any], Hashable], fixed: Mapping[str, Any] | None = None,
                  **context: Hashable) -> Markup:
    """The rows rendered by ``macro`` of ``template`` (called as ``macro(row, **context, **fixed)``).

    ``key(row)`` must hold every value of the row the macro reads; ``context`` (a link prefix,
    say) is part of every key; ``fixed`` holds what never changes while the app runs (label
    tables), so it is left out of the key.
    """
    extra = tuple(sorted(context.items()))
    arguments = dict(fixed or {}, **context)
    render_macro = getattr(current_app.jinja_env.get_template(template).module, macro)
    return row_cache(name).render(
        rows, lambda row: (extra, key(row)), lambda row: render_macro(row, **arguments))


def init_app(app: Flask) -> None:
    app.extensions[FRAGMENTS_KEY] = {}
