"""The emergency path to the village boxes, the commune's side (no broker, no render worker).

An emergency for a bulletin never rendered is published at once (``pending``: the boxes open
with the urgent signal they hold) and its programme follows in an ``emergency-program`` message
once rendered, or with the reason it could not be. The plan hands every box the signal and its
zone's pre-rendered urgent programmes to hold.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from test_receivers import API, _auth, _CountingRenderer, _enrol, app  # noqa: F401 - fixture

from broadcaster import bulletins, receivers
from broadcaster.receiver import topics
from broadcaster.station.render import RenderFailed

pytest_plugins = ["receiver_fixtures"]


class _Link:
    """Stands in for the MQTT link: keeps what was published, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], float]] = []
        self.event = threading.Event()

    def publish(self, topic: str, message: dict[str, Any]) -> bool:
        self.sent.append((topic, message, time.monotonic()))
        self.event.set()
        return True


class _SlowRenderer(_CountingRenderer):
    """Renders like the counting renderer, after a pause (the render a box must not wait for)."""

    def __init__(self, folder: Any, pause_s: float, fail: bool = False) -> None:
        super().__init__(folder)
        self.pause_s, self.fail = pause_s, fail

    def render(self, what: str, ident: int, head_ids: Any = None, *, instant: Any = None,
               urgent: bool = False) -> dict[str, Any]:
        time.sleep(self.pause_s)
        if self.fail:
            self.calls.append((what, ident))
            raise RenderFailed("Không tìm thấy tệp âm thanh “mat-tep.mp3”")
        return super().render(what, ident, head_ids, instant=instant, urgent=urgent)


def _hub(ctx: Any, renderer: Any) -> Any:
    from broadcaster.receivers_hub import Hub

    hub = Hub.__new__(Hub)
    hub.ctx, hub.settings, hub.renderer, hub.link = ctx, ctx.settings, renderer, _Link()
    hub._pending_notices = set()
    return hub


def _storm(ctx: Any, approve: bool = True) -> int:
    with ctx.session() as session:
        storm = bulletins.add_bulletin(session, title="Bão số 3", body="Bão sắp đổ bộ.",
                                       priority="emergency")
        if approve:
            bulletins.transition(session, storm, "approve", None)
        return storm.id


@pytest.mark.parametrize("fail", [False, True])
def test_a_never_rendered_emergency_goes_out_at_once_and_its_programme_follows(
        app: Any, cli: Any, ctx: Any, fail: bool) -> None:  # noqa: F811
    _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    storm_id = _storm(ctx)
    hub = _hub(ctx, _SlowRenderer(ctx.settings.audio_dir / "cache" / "renders", 1.0, fail))
    with ctx.session() as session:
        command = receivers.request_command(session, ctx.settings, "emergency",
                                            payload={"bulletin_id": storm_id})
        command_id = command.id
    began = time.monotonic()
    assert hub.publish_commands() == 1
    topic, first, at = hub.link.sent[0]
    assert at - began < 0.5, "published without waiting for the render"
    assert first["kind"] == "emergency" and first["pending"] is True and "sha256" not in first, first
    assert first["key"] == f"emergency-r{command_id}" and first["fields"]["title"] == "Bão số 3"
    deadline = time.monotonic() + 10
    while len(hub.link.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    follow_topic, follow, _ = hub.link.sent[1]
    assert follow_topic == topic and follow["kind"] == topics.EMERGENCY_PROGRAM
    assert follow["id"] == command_id and follow["key"] == first["key"]
    assert hub.renderer.calls == [("emergency-body", storm_id)], "the programme without its signal"
    if fail:
        assert "mat-tep.mp3" in follow["error"] and "sha256" not in follow, follow
    else:
        assert len(follow["sha256"]) == 64 and follow["seconds"] == 3.0 and "error" not in follow
        # The box may fetch it by its hash (it serves the command's zone, here all).
        box = receivers.get_receiver
        with ctx.session() as session:
            path = receivers.program_path(session, ctx.settings, box(session, "thon-dong-1"),
                                          follow["sha256"])
        assert path.is_file()


def test_a_prerendered_emergency_goes_out_with_its_hash_and_boxes_hold_it_with_their_plan(
        app: Any, cli: Any, ctx: Any) -> None:  # noqa: F811
    east = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    storm_id = _storm(ctx)
    hub = _hub(ctx, _CountingRenderer(ctx.settings.audio_dir / "cache" / "renders"))
    assert hub.prepare_signal() is not None and hub.prerender_urgent() == 1
    plan = app.test_client().get(f"{API}/plan", headers=_auth(east["token"])).get_json()
    assert plan["signal"]["key"] == receivers.SIGNAL_KEY and len(plan["signal"]["sha256"]) == 64
    assert [u["key"] for u in plan["urgent"]] == [f"urgent-b{storm_id}"], plan["urgent"]
    for sha in (plan["signal"]["sha256"], plan["urgent"][0]["sha256"]):
        assert app.test_client().get(f"{API}/programs/{sha}",
                                     headers=_auth(east["token"])).status_code == 200
    with ctx.session() as session:
        receivers.request_command(session, ctx.settings, "emergency", payload={"bulletin_id": storm_id})
    assert hub.publish_commands() == 1
    _, message, _ = hub.link.sent[0]
    assert message["sha256"] == plan["urgent"][0]["sha256"] and "pending" not in message, message
    assert hub.renderer.calls == [("signal", 0), ("emergency", storm_id)], "nothing rendered again"
