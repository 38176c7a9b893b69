"""The box's HTTP(S) client for the commune: enrol, clock, plan, programs, evidence uploads,
air-checks (in chunks, resumed from what the commune says it holds).

Programs are fetched by SHA-256 into ``<hash>.part``; a broken download resumes with ``Range``
from the bytes already there; the whole file is hashed before it is used and only then renamed
into place (after an fsync), so a program the box plays is always exactly the one the commune
rendered. Every call has a timeout: a hanging 4G link must never hang the box.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import requests

from audio.audiofile import sha256_file
from broadcaster.errors import BroadcasterError

logger = logging.getLogger(__name__)

API = "/api/v1/receiver"
TIMEOUT = (5.0, 20.0)  # connect, read
CHUNK = 64 * 1024


class LinkError(BroadcasterError):
    """The commune could not be reached or answered with an error; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RefusedError(LinkError):
    """401/403: this box is unknown or revoked; retrying will not help."""


def _raise_for(response: requests.Response) -> None:
    if response.status_code < 400:
        return
    try:
        message = response.json().get("error") or response.reason
    except ValueError:
        message = response.reason
    if response.status_code in (401, 403):
        raise RefusedError(f"Xã từ chối máy thu ({response.status_code}): {message}",
                           response.status_code)
    raise LinkError(f"Xã trả lời lỗi {response.status_code}: {message}", response.status_code)


class CommuneClient:
    def __init__(self, base_url: str, token: str = "", session: requests.Session | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.token = token
        self.http = session or requests.Session()
        self.http.trust_env = False  # a box's proxy settings must not reroute the commune link

    def _headers(self) -> dict[str, str]:
        # "Connection: close": a box talks to the commune a few times every few minutes; keeping
        # hundreds of idle connections open would exhaust the server's connection limit
        # (waitress: 100), and the next box would wait for one to time out (measured: 26 s).
        headers = {"Connection": "close"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.http.request(method, self.base + API + path, headers=self._headers(),
                                         timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise LinkError(f"Không kết nối được với xã ({self.base}): {exc.__class__.__name__}") from None
        _raise_for(response)
        return response

    def enrol(self, code: str, public_key_pem: str) -> dict[str, Any]:
        enrolled: dict[str, Any] = self._call("POST", "/enrol", json={"code": code, "public_key": public_key_pem}).json()
        return enrolled

    def clock_offset_ms(self) -> float:
        """This box's clock minus the commune's, NTP-style over one request (half the round trip)."""
        from broadcaster.evidence import parse_utc_text

        t0 = time.time()
        body = self._call("GET", "/time").json()
        t1 = time.time()
        server = parse_utc_text(body["now"])
        assert server is not None
        return ((t0 + t1) / 2 - server.timestamp()) * 1000.0

    def plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = self._call("GET", "/plan").json()
        return plan

    def evidence_head(self) -> tuple[int, str]:
        body = self._call("GET", "/evidence/head").json()
        return int(body["count"]), str(body["hash"])

    def upload_evidence(self, entries: list[dict[str, Any]], checkpoint: dict[str, Any]) -> dict[str, Any]:
        receipt: dict[str, Any] = self._call("POST", "/evidence", json={"entries": entries, "checkpoint": checkpoint}).json()
        return receipt

    def aircheck_state(self, seq: int) -> dict[str, Any]:
        """How much of entry ``seq``'s air-check the commune holds (``received``, ``kept``)."""
        state: dict[str, Any] = self._call("GET", f"/airchecks/{int(seq)}").json()
        return state

    def send_aircheck_chunk(self, seq: int, start: int, data: bytes, total: int) -> dict[str, Any]:
        """Send one chunk; the commune's answer says how much it holds, or that it kept the file.

        A 409 (the commune holds another amount: an answer was lost) and a 422 (the file does
        not match its signed hash) come back as answers, with ``status``; others raise.
        """
        headers = self._headers() | {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}"}
        try:
            response = self.http.put(f"{self.base}{API}/airchecks/{int(seq)}", data=data,
                                     headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise LinkError(f"Gửi bản thu #{seq} bị ngắt: {exc.__class__.__name__} "
                            f"(sẽ gửi tiếp từ byte xã đang giữ)") from None
        if response.status_code in (409, 422):
            answer: dict[str, Any] = response.json()
            return answer | {"status": response.status_code}
        _raise_for(response)
        kept: dict[str, Any] = response.json()
        return kept

    def aircheck_dropped(self, seq: int, note: str) -> None:
        self._call("POST", f"/airchecks/{int(seq)}/dropped", json={"note": note})

    def fetch_program(self, sha256: str, folder: Path) -> Path:
        """Download (or resume) a program into ``folder/<sha256>.wav``; verified before use."""
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{sha256}.wav"
        if final.is_file() and sha256_file(final) == sha256:
            return final
        part = folder / f"{sha256}.part"
        have = part.stat().st_size if part.exists() else 0
        headers = self._headers()
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with self.http.get(f"{self.base}{API}/programs/{sha256}", headers=headers,
                               timeout=TIMEOUT, stream=True) as response:
                if response.status_code == 416:  # we already had it all
                    pass
                else:
                    _raise_for(response)
                    mode = "ab" if response.status_code == 206 and have else "wb"
                    with open(part, mode) as handle:
                        handle.writelines(response.iter_content(CHUNK))
                        handle.flush()
                        os.fsync(handle.fileno())
        except requests.RequestException as exc:
            raise LinkError(f"Tải chương trình {sha256[:12]} bị ngắt: {exc.__class__.__name__} "
                            f"(sẽ tải tiếp từ byte {part.stat().st_size if part.exists() else 0})") from None
        if sha256_file(part) != sha256:
            part.unlink(missing_ok=True)
            raise LinkError(f"Chương trình {sha256[:12]} tải về sai mã băm: đã bỏ, sẽ tải lại")
        os.replace(part, final)
        _fsync_dir(folder)
        return final


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
