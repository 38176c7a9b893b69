"""Village receivers, the commune's side: enrolment, credentials, the broker's ACL, plans,
programs, evidence uploads and their verification, the late-change lock on the box.

The broker is a real Mosquitto (scripts/mqtt-broker); the HTTP side goes through the Flask app.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from receiver_helpers import BoxChain, Listener
from receiver_helpers import auth as _auth
from receiver_helpers import enrol_box as _enrol
from receiver_helpers import new_key as _key

from broadcaster import evidence, mqtt_auth, receivers
from broadcaster.models import ReceiverProgram, utcnow
from broadcaster.receiver import store, topics
from broadcaster.zones import add_zone

pytest_plugins = ["receiver_fixtures"]

API = "/api/v1/receiver"


@pytest.fixture
def app(ctx: Any) -> Any:
    from web import create_app

    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
        add_zone(session, "Thôn Tây")
    return create_app({"TESTING": True}, context=ctx)


def _program(ctx: Any, key: str, zone_ids: list[int], when: dt.datetime, content: bytes) -> str:
    """A rendered program as the hub stores it (file under audio/, row by hash)."""
    import hashlib

    sha = hashlib.sha256(content).hexdigest()
    path = ctx.settings.audio_dir / "cache" / "renders" / f"{sha}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with ctx.session() as session:
        session.add(ReceiverProgram(occurrence_key=key, scheduled_at=when, zone_ids=zone_ids,
                                    sha256=sha, relpath=str(path.relative_to(ctx.settings.audio_dir)),
                                    size_bytes=len(content), seconds=1.0,
                                    fields={"title": key, "items": []}, fingerprint="x"))
    return sha


# ------------------------------------------------------------------ enrolment


def test_enrolment_code_is_one_time_and_credentials_are_per_box(app: Any, cli: Any, ctx: Any) -> None:
    first = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    assert first["name"] == "thon-dong-1" and first["zone"]["name"] == "Thôn Đông"
    assert first["token"] and first["mqtt"]["password"] and first["mqtt"]["username"] == "thon-dong-1"
    _unused, pem = _key()
    again = app.test_client().post(f"{API}/enrol", json={"code": first["code"], "public_key": pem})
    assert again.status_code == 403, "a used code must not enrol a second box"
    assert "Mã đăng ký" in again.get_json()["error"]
    wrong = app.test_client().post(f"{API}/enrol", json={"code": "AAAA-BBBB-CCCC-DDDD", "public_key": pem})
    assert wrong.status_code == 403
    with ctx.session() as session:
        box = receivers.get_receiver(session, "thon-dong-1")
        assert box.token_sha256 != first["token"] and first["token"] not in json.dumps(box.status)
        assert box.mqtt_password_hash.startswith("$7$1000$")
        assert box.public_key.strip() != ""
    passwd = mqtt_auth.passwd_path(ctx.settings).read_text()
    assert "thon-dong-1:$7$" in passwd and first["mqtt"]["password"] not in passwd


def test_expired_code_is_refused(app: Any, cli: Any, ctx: Any) -> None:
    with ctx.session() as session:
        added = receivers.add_receiver(session, ctx.settings, "thon-tay-1", "Thôn Tây",
                                       now=utcnow() - dt.timedelta(days=5))
    _k, pem = _key()
    answer = app.test_client().post(f"{API}/enrol", json={"code": added.code, "public_key": pem})
    assert answer.status_code == 403


def test_bad_names_and_zones_get_vietnamese_errors(cli: Any, app: Any) -> None:
    bad = cli("receiver", "add", "Thôn Đông 1", "--zone", "Thôn Đông")
    assert bad.exit_code == 1 and "Tên máy thu" in bad.stderr
    nozone = cli("receiver", "add", "thon-bac", "--zone", "Thôn Bắc")
    assert nozone.exit_code == 1 and "Không có thôn/khu phố" in nozone.stderr
    assert cli("receiver", "add", "thon-bac", "--zone", "thôn tây").exit_code == 0, "zone names match case-insensitively"
    twice = cli("receiver", "add", "thon-bac", "--zone", "Thôn Tây")
    assert twice.exit_code == 1 and "Đã có" in twice.stderr


def test_unknown_and_revoked_boxes_get_nothing_over_http(app: Any, cli: Any, ctx: Any) -> None:
    box = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    client = app.test_client()
    assert client.get(f"{API}/plan").status_code == 401
    assert client.get(f"{API}/plan", headers=_auth("not-a-token")).status_code == 401
    assert client.get(f"{API}/plan", headers=_auth(box["token"])).status_code == 200
    revoked = cli("receiver", "revoke", "thon-dong-1")
    assert revoked.exit_code == 0, revoked.output
    for path in ("/plan", "/time", "/evidence/head", "/programs/" + "a" * 64):
        answer = client.get(API + path, headers=_auth(box["token"]))
        assert answer.status_code == 403, path
    assert "thon-dong-1" not in mqtt_auth.passwd_path(ctx.settings).read_text()
    listed = json.loads(cli("receiver", "list", "--json").stdout)
    assert listed[0]["name"] == "thon-dong-1" and listed[0]["online"] is False and listed[0]["revoked"]


# ------------------------------------------------------------------ plans and programs


def test_plan_holds_own_zone_and_commune_wide_only_and_programs_resume(app: Any, cli: Any, ctx: Any) -> None:
    east = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    west = _enrol(app, cli, "thon-tay-1", "Thôn Tây")
    soon = utcnow() + dt.timedelta(hours=2)
    east_id, west_id = east["zone"]["id"], west["zone"]["id"]
    sha_east = _program(ctx, "slot-1@2030-01-01", [east_id], soon, b"RIFF-east" * 5000)
    sha_west = _program(ctx, "slot-2@2030-01-01", [west_id], soon, b"RIFF-west" * 5000)
    sha_all = _program(ctx, "slot-3@2030-01-01", [], soon + dt.timedelta(hours=1), b"RIFF-all" * 5000)
    _program(ctx, "slot-4@2030-01-03", [], soon + dt.timedelta(hours=60), b"RIFF-far" * 10)
    client = app.test_client()
    plan = client.get(f"{API}/plan", headers=_auth(east["token"])).get_json()
    assert [o["sha256"] for o in plan["occurrences"]] == [sha_east, sha_all], "own zone + commune-wide, within 48 h"
    assert client.get(f"{API}/programs/{sha_west}", headers=_auth(east["token"])).status_code == 404
    full = client.get(f"{API}/programs/{sha_east}", headers=_auth(east["token"]))
    assert full.status_code == 200 and len(full.data) == 45000
    part = client.get(f"{API}/programs/{sha_east}", headers=_auth(east["token"]) | {"Range": "bytes=40000-"})
    assert part.status_code == 206 and part.data == full.data[40000:]
    assert client.get(f"{API}/programs/..%2F..%2Fbroadcaster.db", headers=_auth(east["token"])).status_code == 404


def _plan(*rows: tuple[str, dt.datetime, str]) -> dict[str, Any]:
    return {"occurrences": [{"key": k, "scheduled_at": evidence.utc_text(t), "sha256": s, "size": 1,
                             "seconds": 1.0, "fields": {}} for k, t, s in rows]}


def test_box_plan_locks_programs_due_within_twenty_minutes(ctx: Any) -> None:
    now = utcnow()
    near, far = now + dt.timedelta(minutes=10), now + dt.timedelta(hours=3)
    with ctx.session() as session:
        store.apply_plan(session, _plan(("slot-1@d", near, "a" * 64), ("slot-2@d", far, "b" * 64),
                                        ("slot-3@d", near + dt.timedelta(minutes=1), "c" * 64)), now, 20)
    with ctx.session() as session:
        # A late plan re-points the near one, drops the third, moves the far one and adds one.
        applied = store.apply_plan(session, _plan(("slot-1@d", near, "d" * 64),
                                                  ("slot-2@d", far + dt.timedelta(minutes=5), "e" * 64),
                                                  ("slot-5@d", now + dt.timedelta(minutes=5), "f" * 64)),
                                   now, 20)
    assert sorted(applied.locked) == ["slot-1@d", "slot-3@d"]
    assert applied.changed == ["slot-2@d"] and applied.added == ["slot-5@d"] and applied.removed == []
    from broadcaster.models import BoxPlanEntry

    with ctx.session() as session:
        held = {e.key: (e.sha256[0], e.scheduled_at) for e in session.query(BoxPlanEntry).all()}
    assert held["slot-1@d"][0] == "a", "the program due in 10 minutes is not replaced"
    assert "slot-3@d" in held, "nor dropped"
    assert held["slot-2@d"] == ("e", far + dt.timedelta(minutes=5))
    with ctx.session() as session:
        later = store.apply_plan(session, _plan(("slot-5@d", now + dt.timedelta(minutes=5), "f" * 64)),
                                 now + dt.timedelta(hours=1), 20)
    assert "slot-2@d" in later.removed


# ------------------------------------------------------------------ evidence from a box


@pytest.fixture
def box_ctx(tmp_path: Path) -> Any:
    from broadcaster.context import init_home

    context, _ = init_home(tmp_path / "box")
    yield context
    context.dispose()


def test_uploads_extend_the_chain_once_and_verify_with_the_box_key(app: Any, cli: Any, ctx: Any,
                                                                     box_ctx: Any) -> None:
    box = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    chain = BoxChain(box_ctx, box["private_key"])
    client = app.test_client()
    head = client.get(f"{API}/evidence/head", headers=_auth(box["token"])).get_json()
    assert head == {"count": 0, "hash": evidence.GENESIS}
    chain.add(3)
    entries, checkpoint = chain.batch(0)
    first = client.post(f"{API}/evidence", json={"entries": entries, "checkpoint": checkpoint},
                        headers=_auth(box["token"]))
    assert first.status_code == 200 and first.get_json()["count"] == 3 and first.get_json()["accepted"] == 3
    # The acknowledgement was lost: the box sends the same batch again. Nothing doubles.
    again = client.post(f"{API}/evidence", json={"entries": entries, "checkpoint": checkpoint},
                        headers=_auth(box["token"]))
    assert again.status_code == 200 and again.get_json()["accepted"] == 0
    chain.add(2)
    entries, checkpoint = chain.batch(3)
    assert client.post(f"{API}/evidence", json={"entries": entries, "checkpoint": checkpoint},
                       headers=_auth(box["token"])).get_json()["count"] == 5
    listed = json.loads(cli("log", "list", "--json").stdout)
    mine = [e for e in listed if e["receiver"] == "thon-dong-1"]
    assert [e["id"] for e in mine] == [1, 2, 3, 4, 5] and mine[0]["zone"] == "Thôn Đông"
    assert all(e["receiver"] is None for e in listed if e not in mine)
    verified = cli("log", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["receivers"][0]["receiver"] == "thon-dong-1" and report["receivers"][0]["count"] == 5
    # Someone edits what a box aired in the commune's copy: verify names the box and the entry.
    import sqlite3

    db = sqlite3.connect(ctx.settings.home / "broadcaster.db")
    db.execute("UPDATE receiver_evidence SET seconds_played = 99 WHERE seq = 2")
    db.commit()
    db.close()
    broken = cli("log", "verify")
    assert broken.exit_code == 1 and "thon-dong-1" in broken.stderr and "#2" in broken.stderr


def test_two_boxes_uploading_in_turn_both_verify(app: Any, cli: Any, ctx: Any, box_ctx: Any,
                                                 tmp_path: Any) -> None:
    """Checkpoints of two boxes interleave in one table: neither box's chain shows a gap."""
    from broadcaster.context import init_home

    other_ctx, _ = init_home(tmp_path / "box2")
    try:
        east = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
        west = _enrol(app, cli, "thon-tay-1", "Thôn Tây")
        chains = {"east": (BoxChain(box_ctx, east["private_key"]), east),
                  "west": (BoxChain(other_ctx, west["private_key"]), west)}
        client = app.test_client()
        sent = {"east": 0, "west": 0}
        for turn in ("east", "west", "east", "west"):
            chain, box = chains[turn]
            chain.add(1)
            entries, checkpoint = chain.batch(sent[turn])
            answer = client.post(f"{API}/evidence", json={"entries": entries, "checkpoint": checkpoint},
                                 headers=_auth(box["token"]))
            assert answer.status_code == 200, answer.get_data(as_text=True)
            sent[turn] += 1
        verified = cli("log", "verify", "--json")
        assert verified.exit_code == 0, verified.output
        counts = {r["receiver"]: r["count"] for r in json.loads(verified.stdout)["receivers"]}
        assert counts == {"thon-dong-1": 2, "thon-tay-1": 2}
    finally:
        other_ctx.dispose()


def test_uploads_that_break_the_chain_or_the_signature_are_refused(app: Any, cli: Any, ctx: Any,
                                                                     box_ctx: Any) -> None:
    box = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    chain = BoxChain(box_ctx, box["private_key"])
    chain.add(2)
    client = app.test_client()
    entries, checkpoint = chain.batch(0)
    forged = [dict(entries[0], seconds_played=600.0), entries[1]]
    answer = client.post(f"{API}/evidence", json={"entries": forged, "checkpoint": checkpoint},
                         headers=_auth(box["token"]))
    assert answer.status_code == 409 and answer.get_json()["count"] == 0
    gap = client.post(f"{API}/evidence", json={"entries": entries[1:], "checkpoint": checkpoint},
                      headers=_auth(box["token"]))
    assert gap.status_code == 409 and "Thiếu mục #1" in gap.get_json()["error"]
    other_key, _pem = _key()
    stranger = BoxChain(box_ctx, other_key)
    _e, bad_cp = stranger.batch(0)
    signed_by_other = client.post(f"{API}/evidence", json={"entries": entries, "checkpoint": bad_cp},
                                  headers=_auth(box["token"]))
    assert signed_by_other.status_code == 409 and "Chữ ký" in signed_by_other.get_json()["error"]
    assert receivers.evidence_head(ctx.sessions(), receivers.get_receiver(ctx.sessions(), "thon-dong-1"))[0] == 0


# ------------------------------------------------------------------ the broker


def test_broker_acl_each_box_hears_its_zone_and_writes_only_its_status(app: Any, cli: Any, ctx: Any,
                                                                         broker: Any) -> None:
    east = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    west = _enrol(app, cli, "thon-tay-1", "Thôn Tây")
    user, secret = mqtt_auth.commune_credentials(ctx.settings)
    hub = Listener(broker.port, user, secret, [topics.STATUS_WILDCARD])
    e = Listener(broker.port, "thon-dong-1", east["mqtt"]["password"], ["loaxa/#"])
    w = Listener(broker.port, "thon-tay-1", west["mqtt"]["password"],
                 topics.box_subscriptions("thon-tay-1", west["zone"]["id"]))
    try:
        assert hub.wait(hub.connected.is_set) and e.wait(e.connected.is_set) and w.wait(w.connected.is_set)
        hub.publish(topics.zone_command(east["zone"]["id"]), {"id": 1, "kind": "stop"})
        hub.publish(topics.all_command(), {"id": 2, "kind": "resync"})
        assert e.wait(lambda: len(e.messages) >= 2)
        assert w.wait(lambda: len(w.messages) >= 1)
        assert [m[1]["id"] for m in w.messages] == [2], "the west box must not hear the east zone"
        e.publish(topics.status("thon-dong-1"), {"version": "1"})
        e.publish(topics.status("thon-tay-1"), {"version": "forged"})
        e.publish(topics.zone_command(west["zone"]["id"]), {"id": 3, "kind": "stop"})
        assert hub.wait(lambda: len(hub.messages) >= 1)
        hub.wait(lambda: False, timeout=0.7)
        assert hub.messages == [(topics.status("thon-dong-1"), {"version": "1"})]
        assert [m[1]["id"] for m in w.messages] == [2], "a box cannot send commands"
    finally:
        for c in (hub, e, w):
            c.close()
    # Revoked: the broker refuses the login once the files are written again.
    assert cli("receiver", "revoke", "thon-tay-1").exit_code == 0
    late = Listener(broker.port, "thon-tay-1", west["mqtt"]["password"], ["loaxa/#"])
    try:
        assert late.wait(lambda: bool(late.refused), timeout=5), "a revoked box must be refused"
    finally:
        late.close()


def test_a_connected_box_stops_hearing_commands_the_moment_it_is_revoked(app: Any, cli: Any, ctx: Any,
                                                                        broker: Any, home: Path) -> None:
    """The hub cuts the open connection through the broker's dynamic-security plugin (no reload,
    the password file untouched); ``receiver revoke`` also reloads the broker, which cuts too."""
    import time

    from broadcaster.context import open_context
    from broadcaster.receivers_hub import Hub

    east = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    west = _enrol(app, cli, "thon-tay-1", "Thôn Tây")
    hub_ctx = open_context(home)  # reads the broker's address from the environment
    hub = Hub(hub_ctx)
    e = Listener(broker.port, "thon-dong-1", east["mqtt"]["password"],
                 topics.box_subscriptions("thon-dong-1", east["zone"]["id"]))
    w = Listener(broker.port, "thon-tay-1", west["mqtt"]["password"],
                 topics.box_subscriptions("thon-tay-1", west["zone"]["id"]))
    try:
        hub.link.start()
        assert hub.link.connected.wait(5) and e.wait(e.connected.is_set) and w.wait(w.connected.is_set)
        assert hub.cut_revoked() == 0
        hub.link.publish(topics.all_command(), {"id": 1, "kind": "resync"})
        assert e.wait(lambda: len(e.messages) == 1) and w.wait(lambda: len(w.messages) == 1)
        with ctx.session() as session:  # revoked in the table only: no file written, no reload
            receivers.revoke(session, "thon-dong-1")
        revoked_at = time.monotonic()
        assert hub.cut_revoked() == 1
        assert e.wait(lambda: e.dropped_at is not None, timeout=2), "the open connection must be cut"
        cut_after = e.dropped_at - revoked_at  # type: ignore[operator]
        assert cut_after < 1.0, cut_after
        hub.link.publish(topics.all_command(), {"id": 2, "kind": "stop"})
        hub.link.publish(topics.zone_command(east["zone"]["id"]), {"id": 3, "kind": "stop"})
        assert w.wait(lambda: len(w.messages) == 2), "the other box still hears the commune"
        assert e.wait(lambda: bool(e.refused), timeout=12), "its reconnection must be refused"
        e.wait(lambda: False, timeout=0.5)
        assert [m[1]["id"] for m in e.messages] == [1], "nothing after the revocation"
        assert "thon-dong-1:" in mqtt_auth.passwd_path(ctx.settings).read_text(), \
            "the plugin alone cut it: the password file still had the login"
        assert hub.cut_revoked() == 0, "told once per broker connection"
        # The command line revokes the other box: files rewritten and the broker reloaded, which
        # drops the connection too (the hub is not asked here).
        assert cli("receiver", "revoke", "thon-tay-1").exit_code == 0
        assert w.wait(lambda: w.dropped_at is not None, timeout=3), "a reload also cuts"
        hub.link.publish(topics.all_command(), {"id": 4, "kind": "stop"})
        w.wait(lambda: False, timeout=0.7)
        assert [m[1]["id"] for m in w.messages] == [1, 2]
    finally:
        for c in (e, w):
            c.close()
        hub.link.stop()
        hub_ctx.dispose()


def test_status_makes_a_box_online_and_the_list_says_what_it_holds(app: Any, cli: Any, ctx: Any) -> None:
    box = _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    _program(ctx, "slot-1@2030-01-01", [box["zone"]["id"]], utcnow() + dt.timedelta(hours=3), b"x" * 100)
    from broadcaster.receivers_hub import Hub

    hub = Hub.__new__(Hub)  # only its status path: no broker, no render worker
    hub.ctx = ctx
    long_ago = utcnow() - dt.timedelta(minutes=10)
    payload = json.dumps({"version": "0.1.0", "clock_offset_ms": 3.5, "held_24h": 0,
                          "volume": 80, "evil": "x" * 10}).encode()
    assert hub.store_statuses([("thon-dong-1", payload, long_ago), ("ghost", payload, long_ago)]) == 1
    row = json.loads(cli("receiver", "list", "--json").stdout)[0]
    assert row["online"] is False and row["last_seen"] is not None and row["state"] == "offline"
    assert row["clock_offset_ms"] == 3.5 and row["programs_ready"] is False
    listed = cli("receiver", "list")
    assert "mất kết nối từ" in listed.stdout and "Cảnh báo" in listed.stderr
    fresh = json.dumps({"version": "0.1.0", "clock_offset_ms": 2.0, "held_24h": 1}).encode()
    assert hub.store_statuses([("thon-dong-1", fresh, utcnow())]) == 1
    row = json.loads(cli("receiver", "list", "--json").stdout)[0]
    assert row["online"] is True and row["programs_ready"] is True and "evil" not in row


class _CountingRenderer:
    """Stands in for the render worker: writes a file and counts the renders asked of it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.calls: list[tuple[str, int]] = []

    def render(self, what: str, ident: int, head_ids: Any = None, *, instant: Any = None,
               urgent: bool = False) -> dict[str, Any]:
        import hashlib

        self.calls.append((what, ident))
        content = f"{what}-{ident}-{len(self.calls)}".encode() * 100
        path = self.folder / f"{hashlib.sha256(content).hexdigest()}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return {"path": str(path), "sha256": hashlib.sha256(content).hexdigest(), "seconds": 3.0,
                "items": [{"kind": "speech", "title": "Bão"}]}


def test_hub_prerenders_urgent_bulletins_and_an_emergency_reuses_the_render(
        app: Any, cli: Any, ctx: Any) -> None:
    from broadcaster import bulletins
    from broadcaster.receivers_hub import Hub

    _enrol(app, cli, "thon-dong-1", "Thôn Đông")
    with ctx.session() as session:
        storm = bulletins.add_bulletin(session, title="Bão số 3", body="Bão sắp đổ bộ.", priority="emergency")
        bulletins.transition(session, storm, "approve", None)
        storm_id = storm.id
    hub = Hub.__new__(Hub)
    hub.ctx, hub.settings = ctx, ctx.settings
    hub.renderer = _CountingRenderer(ctx.settings.audio_dir / "cache" / "renders")
    assert hub.prerender_urgent() == 1 and hub.prerender_urgent() == 0, "rendered once, then current"
    program = hub._emergency_program(7, {"bulletin_id": storm_id, "key": "emergency-7"}, None)
    assert program is not None and hub.renderer.calls == [("emergency", storm_id)], \
        "the emergency reused the pre-rendered program"
    with ctx.session() as session:
        storm = session.get(__import__("broadcaster.models", fromlist=["Bulletin"]).Bulletin, storm_id)
        storm.body = "Bão đã đổi hướng."
    again = hub._emergency_program(8, {"bulletin_id": storm_id, "key": "emergency-8"}, None)
    assert again is not None and len(hub.renderer.calls) == 2 and again.sha256 != program.sha256, \
        "a changed text is rendered again"


def test_a_box_enrolled_but_never_heard_from_is_not_said_to_be_lost_since_never(tmp_path) -> None:
    """"mất kết nối từ chưa từng kết nối" was the warning for a box that never connected."""
    from broadcaster import receivers
    from broadcaster.config import load_settings

    row = {"name": "may-doai", "zone": "Thôn Đoài", "revoked": False, "state": "offline",
           "online": False, "last_seen": None}
    said = receivers.warnings([row], load_settings(tmp_path, environ={}))
    assert said == ["Máy thu may-doai (Thôn Đoài) đã đăng ký nhưng chưa kết nối lần nào"], said
    seen = dict(row, last_seen="2026-12-02T22:10:00+07:00")
    assert receivers.warnings([seen], load_settings(tmp_path, environ={})) == [
        "Máy thu may-doai (Thôn Đoài) mất kết nối từ 22:10 02/12/2026"]
