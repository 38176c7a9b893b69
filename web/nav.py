"""The navigation bar: each blueprint declares its own entries, the base template shows them.

Why declared by the blueprint: the panel is built by several people at once; a page joins the
menu by registering itself, without anyone editing a shared list or the base template.

Usage in a blueprint module::

    bp = Blueprint("schedule", __name__)
    register_nav(bp, "Lịch phát", "schedule.week", roles=permissions.roles_for("schedule.edit"), order=30)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from flask import Blueprint, Flask, current_app, request, url_for
from flask.blueprints import BlueprintSetupState

from broadcaster.models import ROLES

NAV_KEY = "loaxa_nav"
NAV_CACHE_KEY = "loaxa_nav_cache"
FIXED_URLS_KEY = "loaxa_fixed_urls"
#: Mount points remembered per app: the panel has one (two behind a proxy that adds a prefix);
#: the prefix comes from a request header, so what is kept must not grow with what is sent.
MAX_MOUNTS = 8


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...]
    order: int


def register_nav(bp: Blueprint, label: str, endpoint: str,
                 roles: Sequence[str] | None = None, order: int = 50) -> None:
    """Show ``label`` linking to ``endpoint`` to users with one of ``roles`` (None: everyone).

    ``order`` sorts the menu (dashboard 10, bulletins 20, schedule 30, logs 40, glossary 50,
    library 60, admin 90).
    """
    chosen = tuple(roles) if roles is not None else ROLES
    unknown = set(chosen) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles in nav item {label!r}: {sorted(unknown)}")
    item = NavItem(label, endpoint, chosen, order)

    def record(state: BlueprintSetupState) -> None:
        state.app.extensions.setdefault(NAV_KEY, []).append(item)

    bp.record_once(record)


def fixed_url(endpoint: str, **values: str) -> str:
    """``url_for`` for a link that never changes while the app runs (the stylesheet, the logo's
    link, the logout form): built once per mount point and kept, as every page shows them and
    a URL build costs more than the rest of the link's rendering."""
    urls: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = current_app.extensions[FIXED_URLS_KEY]
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = urls.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len({mount for mount, _, _ in urls}) < MAX_MOUNTS or any(k[0] == key[0] for k in urls):
            urls[key] = url
    return url


def nav_for(app: Flask, role: str | None) -> list[dict[str, Any]]:
    """The menu entries a user of ``role`` sees, in order, the current area marked active.

    Each entry also carries its ``url``. The menu depends only on the role, the current area and
    the mount point, all fixed once the app is built, so it is computed once per combination and
    kept (every page shows it; building it cost a sort and a URL build per entry per request).
    """
    if role is None:
        return []
    current = request.blueprint or ""
    key = (role, current, request.script_root)
    cache: dict[tuple[str, str, str], list[dict[str, Any]]] = app.extensions.setdefault(
        NAV_CACHE_KEY, {})
    menu = cache.get(key)
    if menu is None and len(cache) > 64 * MAX_MOUNTS:  # mount points sent by a client: not kept
        cache.clear()
    if menu is None:
        items = sorted(app.extensions.get(NAV_KEY, []), key=lambda i: (i.order, i.label))
        menu = [
            {"label": i.label, "endpoint": i.endpoint, "url": url_for(i.endpoint),
             "active": i.endpoint.split(".", 1)[0] == current}
            for i in items
            if role in i.roles and i.endpoint in app.view_functions
        ]
        cache[key] = menu
    return [dict(entry) for entry in menu]


def init_app(app: Flask) -> None:
    """Templates get ``nav_items()`` (this user's menu), ``fixed_url`` and ``commune_name``."""
    app.extensions[FIXED_URLS_KEY] = {}
    app.jinja_env.globals["fixed_url"] = fixed_url

    @app.context_processor
    def _nav_context() -> dict[str, Any]:
        from broadcaster import approvals, permissions
        from web.db import get_session
        from web.security import current_user

        def nav_items() -> list[dict[str, Any]]:
            user = current_user()
            menu = nav_for(app, user.role if user else None)
            if user is not None and permissions.allowed(user, "bulletin.review"):
                # The approver's queue, counted on every page so nothing waits unseen.
                waiting = approvals.queue_count(get_session())
                for entry in menu:
                    if entry["endpoint"] == "dashboard.index" and waiting:
                        entry["badge"] = waiting
                        entry["badge_title"] = f"{waiting} bản tin chờ duyệt"
            return menu

        return {
            "nav_items": nav_items,
            "commune_name": app.extensions["broadcaster"].settings.commune.name,
        }
