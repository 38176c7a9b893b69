"""A box's emergency path: on air at once, whatever the commune has rendered yet.

Why: an emergency for a bulletin never rendered used to reach a box only after the hub rendered
it and the box downloaded it (p95 9.5 s at load 11-14). Now

* the box holds the urgent signal (fetched with its plan, :func:`broadcaster.receivers.plan_for`)
  and the urgent programmes of its zone's approved emergency bulletins (rendered by the hub at
  approval), so a prepared warning airs from its own disk;
* for anything else it opens with the signal the moment the command arrives, and feeds the
  programme behind it in the same stream once it is here (:mod:`broadcaster.station.follow`):
  fetched by the command's hash, or by the hash of the hub's ``emergency-program`` follow-up when
  the command went out before its render. The entry lists what aired; a programme that never
  came is said in it.
"""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from broadcaster.context import Context
from broadcaster.receiver import store
from broadcaster.receiver.client import CommuneClient, LinkError
from broadcaster.station.follow import Follow
from broadcaster.station.interfaces import Program

logger = logging.getLogger(__name__)

SIGNAL_FILE = "signal.json"


class BoxEmergencies:
    """The signal and urgent programmes a box holds, and the programmes it is waiting for."""

    def __init__(self, ctx: Context, home: Path, client: CommuneClient) -> None:
        self.ctx = ctx
        self.home = home
        self.client = client
        self._lock = threading.Lock()
        self._follows: dict[str, Follow] = {}
        self._signal: dict[str, Any] | None = self._remembered_signal()

    # ------------------------------------------------------------------ held ahead

    def hold(self, plan: dict[str, Any]) -> list[str]:
        """With each plan: fetch the signal and urgent programmes not held (errors returned)."""
        failures: list[str] = []
        given = plan.get("signal")
        signal: dict[str, Any] | None = given if isinstance(given, dict) else None
        specs = [signal] + [u for u in plan.get("urgent") or [] if isinstance(u, dict)]
        for spec in specs:
            if not spec or not spec.get("sha256"):
                continue
            try:
                self._held_or_fetched(str(spec["sha256"]))
            except LinkError as exc:
                failures.append(str(exc))
                continue
            if signal is not None and spec is signal:
                self._remember_signal(signal)
        return failures

    def signal(self) -> Program | None:
        spec = self._signal
        if spec is None:
            return None
        with self.ctx.session() as session:
            path = store.program_file(session, self.home, str(spec["sha256"]))
        if path is None:
            return None
        return Program(path, str(spec["sha256"]), float(spec.get("seconds") or 0.0),
                       [dict(i) for i in (spec.get("fields") or {}).get("items") or []])

    # ------------------------------------------------------------------ one emergency

    def program(self, body: dict[str, Any]) -> tuple[Program | None, str]:
        """What airs now for an emergency command: its programme when held; else the signal with
        the programme to follow; else (no signal held) the programme once here. (None, why)
        when nothing can air."""
        key = str(body.get("key") or "")
        sha = str(body.get("sha256") or "")
        items = [dict(i) for i in (body.get("fields") or {}).get("items") or []]
        seconds = float(body.get("seconds") or 0.0)
        if sha:
            with self.ctx.session() as session:
                held = store.program_file(session, self.home, sha)
            if held is not None:
                return Program(held, sha, seconds, items), ""
        follow = self._follow(key)
        if sha:
            self._fetch_behind(follow, sha, seconds, items)
        signal = self.signal()
        if signal is not None:
            logger.info("%s: phát tín hiệu khẩn cấp ngay, chờ chương trình từ xã", key)
            return Program(signal.path, signal.sha256, signal.seconds, signal.items,
                           then=follow), ""
        if not follow.wait(follow.max_wait_s) or follow.rest is None:
            return None, follow.error or "chương trình khẩn cấp không tới kịp"
        return follow.rest, ""

    def arrived(self, body: dict[str, Any]) -> None:
        """The hub's follow-up: the programme of an emergency sent before its render."""
        follow = self._follow(str(body.get("key") or ""))
        if body.get("error"):
            follow.fail(f"xã không dựng được bản tin khẩn cấp: {body['error']}")
            return
        items = [dict(i) for i in (body.get("fields") or {}).get("items") or []]
        self._fetch_behind(follow, str(body.get("sha256") or ""), float(body.get("seconds") or 0.0),
                           items)

    # ------------------------------------------------------------------ helpers

    def _follow(self, key: str) -> Follow:
        with self._lock:
            if len(self._follows) > 50:  # old emergencies: long decided
                for old in [k for k, f in self._follows.items() if f.decided()][:25]:
                    self._follows.pop(old, None)
            return self._follows.setdefault(key, Follow())

    def _fetch_behind(self, follow: Follow, sha: str, seconds: float,
                      items: list[dict[str, Any]]) -> None:
        def fetch() -> None:
            try:
                path = self._held_or_fetched(sha)
            except LinkError as exc:
                follow.fail(f"không tải được bản tin khẩn cấp: {exc}")
                return
            follow.deliver(Program(path, sha, seconds, items))
        threading.Thread(target=fetch, name="box-urgent-fetch", daemon=True).start()

    def _held_or_fetched(self, sha: str) -> Path:
        with self.ctx.session() as session:
            path = store.program_file(session, self.home, sha)
            if path is not None:
                store.record_program(session, self.home, sha, path)  # still needed: kept
                return path
        path = self.client.fetch_program(sha, store.programs_dir(self.home))
        with self.ctx.session() as session:
            store.record_program(session, self.home, sha, path)
        return path

    def _remembered_signal(self) -> dict[str, Any] | None:
        try:
            spec = json.loads((store.programs_dir(self.home) / SIGNAL_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return spec if isinstance(spec, dict) and spec.get("sha256") else None

    def _remember_signal(self, spec: dict[str, Any]) -> None:
        self._signal = spec
        path = store.programs_dir(self.home) / SIGNAL_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(spec, ensure_ascii=False), "utf-8")
            tmp.replace(path)
        except OSError:
            logger.warning("không ghi được %s; tín hiệu khẩn cấp sẽ lấy lại khi đồng bộ", path)
