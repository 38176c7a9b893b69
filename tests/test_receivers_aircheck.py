"""Hearing what a village box aired (issue 12): the box's air-check reaches the commune, is kept
only when its bytes hash to what the box signed, and plays on the log's entry for those who may
see it (the head of the box's village, the office), never for a head of another village.

The commune's side runs in the Flask app and, for the box's uploader, behind a real HTTP server
(werkzeug, in a thread) that the box's own client talks to; the box's queue is the box's SQLite.
The whole story with a real broker and a real box daemon on a sound server is in
``test_receivers_aircheck_live.py``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from receiver_helpers import BoxChain, auth, enrol_box, free_port
from web_helpers import OTHER_ZONE, ZONE

from broadcaster.context import init_home
from broadcaster.models import BoxAircheck, ReceiverEvidence
from broadcaster.receiver import airchecks
from broadcaster.receiver.client import CommuneClient, LinkError

pytest_plugins = ["web_fixtures"]

API = "/api/v1/receiver"


@pytest.fixture
def box_ctx(tmp_path: Path) -> Iterator[Any]:
    context, _ = init_home(tmp_path / "box")
    yield context
    context.dispose()


@pytest.fixture
def served(web_app: Any) -> Iterator[str]:
    """The commune's panel behind a real HTTP server, for the box's own client."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _recorded(box_ctx: Any, chain: BoxChain, n: int, size: int, zone: str = ZONE) -> list[bytes]:
    """``n`` airings on the box, each with an air-check file of ``size`` bytes, as the engine
    leaves them (the file under audio/aircheck, its hash and path in the box's entry)."""
    contents = []
    for i in range(n):
        data = b"OggS" + os.urandom(size - 4)
        rel = Path("audio") / "aircheck" / "2026" / "12" / f"slot-9_{i}.opus"
        (box_ctx.home / rel).parent.mkdir(parents=True, exist_ok=True)
        (box_ctx.home / rel).write_bytes(data)
        chain.add(1, zone=zone, title=f"Họp thôn lần {i + 1}",
                  aircheck_sha256=hashlib.sha256(data).hexdigest(), aircheck_path=str(rel))
        contents.append(data)
    return contents


def _kept(ctx: Any, name: str, seq: int) -> Path | None:
    from broadcaster.models import Receiver

    with ctx.session() as session:
        row = session.query(ReceiverEvidence).join(Receiver).filter(
            Receiver.name == name, ReceiverEvidence.seq == seq).one()
        return ctx.settings.home / row.kept_aircheck_path if row.kept_aircheck_path else None


def _put(client: Any, token: str, seq: int, start: int, data: bytes, total: int) -> Any:
    return client.put(f"{API}/airchecks/{seq}", data=data, headers=auth(token) | {
        "Content-Type": "application/octet-stream",
        "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}"})


def test_a_tampered_aircheck_is_refused_logged_and_never_kept(web_app: Any, cli: Any, ctx: Any,
                                                              box_ctx: Any, caplog: Any,
                                                              login_as: Any) -> None:
    east = enrol_box(web_app, cli, "thon-dong-1", ZONE)
    west = enrol_box(web_app, cli, "thon-tay-1", OTHER_ZONE)
    chain = BoxChain(box_ctx, east["private_key"])
    (real,) = _recorded(box_ctx, chain, 1, 300_000)
    client = web_app.test_client()
    assert chain.upload(client, east["token"])["count"] == 1
    tampered = bytearray(real)
    tampered[1000] ^= 0xFF
    caplog.set_level(logging.WARNING, logger="broadcaster.receiver_airchecks")
    first = _put(client, east["token"], 1, 0, bytes(tampered[:200_000]), len(real))
    assert first.status_code == 200 and first.get_json()["received"] == 200_000
    refused = _put(client, east["token"], 1, 200_000, bytes(tampered[200_000:]), len(real))
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert "không khớp mã băm" in refused.get_json()["error"]
    assert any("từ chối bản thu của máy thu thon-dong-1, mục #1" in r.getMessage() for r in caplog.records)
    assert _kept(ctx, "thon-dong-1", 1) is None
    page = login_as("office").get("/logs/receivers/thon-dong-1/1").get_data(as_text=True)
    assert "Xã đã từ chối bản thu" in page and "<audio" not in page, "the office reads why"
    assert not [p for p in (ctx.settings.audio_dir / "aircheck").rglob("*") if p.is_file()], \
        "nothing of the tampered upload stays on the commune's disk"
    # the other box cannot send into this box's entry: its token names its own chain only
    assert _put(client, west["token"], 1, 0, real, len(real)).status_code == 404
    # a chunk that skips ahead is told where the commune's copy ends
    _put(client, east["token"], 1, 0, real[:100_000], len(real))
    skipped = _put(client, east["token"], 1, 200_000, real[200_000:], len(real))
    assert skipped.status_code == 409 and skipped.get_json()["received"] == 100_000
    done = _put(client, east["token"], 1, 100_000, real[100_000:], len(real))
    assert done.status_code == 200 and done.get_json()["kept"] is True
    kept = _kept(ctx, "thon-dong-1", 1)
    assert kept is not None and kept.read_bytes() == real
    assert kept.resolve().is_relative_to((ctx.settings.audio_dir / "aircheck" / "receivers").resolve())
    page = login_as("office").get("/logs/receivers/thon-dong-1/1").get_data(as_text=True)
    assert "Xã đã từ chối" not in page and 'src="/logs/receivers/thon-dong-1/1/aircheck"' in page


class _BreakingSession(requests.Session):
    """The 4G link: records every chunk's start and breaks once after ``break_after`` chunks."""

    def __init__(self, break_after: int | None = None) -> None:
        super().__init__()
        self.break_after = break_after
        self.starts: list[tuple[int, int]] = []

    def put(self, url: str | bytes, data: Any = None, **kwargs: Any) -> requests.Response:
        if self.break_after is not None and len(self.starts) == self.break_after:
            self.break_after = None
            raise requests.ConnectionError("4G link lost")
        seq = int(str(url).rsplit("/", 1)[1])
        self.starts.append((seq, int(kwargs["headers"]["Content-Range"].split()[1].split("-")[0])))
        return super().put(url, data=data, **kwargs)


def test_the_queue_resumes_after_a_break_and_drops_the_oldest_past_its_cap(
        web_app: Any, cli: Any, ctx: Any, box_ctx: Any, served: str, login_as: Any) -> None:
    east = enrol_box(web_app, cli, "thon-dong-1", ZONE)
    chain = BoxChain(box_ctx, east["private_key"])
    size = 600_000  # three chunks each
    contents = _recorded(box_ctx, chain, 3, size)
    chain.upload(web_app.test_client(), east["token"])
    stopping = threading.Event()
    # The box was offline long: only two recordings fit in its queue; the oldest goes, with a note.
    assert airchecks.enqueue(box_ctx, cap_bytes=2 * size + 1000) == 3
    with box_ctx.session() as session:
        rows = {r.seq: (r.state, r.note) for r in session.query(BoxAircheck).all()}
    assert [rows[s][0] for s in (1, 2, 3)] == ["dropped", "queued", "queued"], rows
    assert "hàng đợi bản thu vượt" in rows[1][1] and "bỏ bản cũ nhất" in rows[1][1]
    assert not (box_ctx.home / "audio/aircheck/2026/12/slot-9_0.opus").exists(), "its file is freed"
    link = _BreakingSession(break_after=4)
    box = CommuneClient(served, east["token"], session=link)
    with pytest.raises(LinkError):
        airchecks.send(box_ctx, box, held=3, stopping=stopping)
    assert _kept(ctx, "thon-dong-1", 2) is not None and _kept(ctx, "thon-dong-1", 3) is None
    assert airchecks.send(box_ctx, box, held=3, stopping=stopping) == 1
    assert link.starts == [(2, 0), (2, 262144), (2, 524288), (3, 0), (3, 262144), (3, 524288)], \
        "after the break the box went on from the commune's byte, sending nothing twice"
    for seq in (2, 3):
        kept = _kept(ctx, "thon-dong-1", seq)
        assert kept is not None and kept.read_bytes() == contents[seq - 1]
        assert not (box_ctx.home / f"audio/aircheck/2026/12/slot-9_{seq - 1}.opus").exists(), \
            "the box frees its copy once the commune kept it"
    assert airchecks.waiting(box_ctx) == 0
    # On the commune's log: a player for the kept ones, the box's note for the dropped one.
    head = login_as("village")
    dropped = head.get("/logs/receivers/thon-dong-1/1").get_data(as_text=True)
    assert "hàng đợi bản thu vượt" in dropped and "<audio" not in dropped
    page = head.get("/logs/receivers/thon-dong-1/2").get_data(as_text=True)
    assert 'src="/logs/receivers/thon-dong-1/2/aircheck"' in page
    shown = re.search(r'class="token hash">([0-9a-f]{64})<', page).group(1)  # type: ignore[union-attr]
    sound = head.get("/logs/receivers/thon-dong-1/2/aircheck")
    assert sound.status_code == 200 and sound.mimetype == "audio/ogg"
    assert hashlib.sha256(sound.data).hexdigest() == shown == hashlib.sha256(contents[1]).hexdigest()
