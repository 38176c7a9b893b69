"""A local fake of Google Translate's TTS endpoint, reached by the real, unpatched gTTS.

gTTS posts to ``https://translate.google.<tld>/_/TranslateWebserverUi/data/batchexecute``
through the environment's proxy (``urllib.request.getproxies()``) and does not verify TLS.
So the fake is one local server that is both:

- an HTTP proxy: it accepts ``CONNECT translate.google.<tld>:443`` and, instead of tunnelling
  to Google, answers "200 Connection established" and speaks TLS itself (a self-signed
  certificate made for the session);
- the endpoint: inside the tunnel it decodes gTTS's ``f.req`` form, records what was asked,
  and answers ``)]}'`` + ``[["wrb.fr","jQ1olc","[\\"<base64 mp3>\\"]",...]]`` like Google.

Nothing in gTTS is monkeypatched: only ``HTTPS_PROXY`` is set, so the tests go through gTTS's
real request building, TLS, response parsing and error handling.

Use it from any test module::

    pytest_plugins = ["fake_gtts"]   # in the test module (or the root conftest)

    def test_x(fake_gtts):
        fake_gtts.status = 500        # or .delay_s = 5, or .mp3 = fake_gtts.silent_mp3
        ...
        assert fake_gtts.requests[0].text == "..."
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

RPC_ID = "jQ1olc"


@dataclass(frozen=True)
class FakeAudio:
    """Real MP3 clips the fake can serve: a spoken phrase and one of pure silence."""

    speech_mp3: bytes
    silent_mp3: bytes
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class FakeRequest:
    """One TTS request as the fake received it."""

    host: str  # the Host header inside the tunnel, e.g. translate.google.com.vn
    tunnel: str  # the CONNECT target, e.g. translate.google.com.vn:443
    path: str
    text: str
    lang: str


@dataclass
class FakeGtts:
    """Controls and records of the running fake. Change the attributes between calls."""

    audio: FakeAudio
    port: int = 0
    status: int = 200  # HTTP status of every answer
    delay_s: float = 0.0  # sleep before answering (to exercise client timeouts)
    mp3: bytes = b""  # what to serve; defaults to the spoken clip
    fail_first: int = 0  # answer 500 to this many requests, then behave normally
    requests: list[FakeRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def speech_mp3(self) -> bytes:
        return self.audio.speech_mp3

    @property
    def silent_mp3(self) -> bytes:
        return self.audio.silent_mp3

    def texts(self) -> list[str]:
        """Texts of the requests received so far, in arrival order."""
        with self._lock:
            return [r.text for r in self.requests]


def _make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for *.google.* hosts (gTTS does not verify it anyway)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "translate.google.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "fake-google.crt", folder / "fake-google.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _make_mp3s(folder: Path) -> tuple[bytes, bytes]:
    """A real spoken MP3 (espeak-ng → ffmpeg/libmp3lame) and a silent one, like Google's."""
    wav, speech, silent = folder / "clip.wav", folder / "speech.mp3", folder / "silent.mp3"
    subprocess.run(
        ["espeak-ng", "-b", "1", "-v", "vi", "-w", str(wav), "--stdin"],
        input="Xin chào bà con".encode(),
        check=True,
        capture_output=True,
    )
    encode = ["-ac", "1", "-ar", "24000", "-c:a", "libmp3lame", "-b:a", "32k"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), *encode, str(speech)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=24000:cl=mono",
            "-t",
            "1",
            *encode,
            str(silent),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return speech.read_bytes(), silent.read_bytes()


def google_answer(mp3: bytes) -> bytes:
    """The body Google returns for one batchexecute TTS call (compact JSON, as gTTS parses it)."""
    inner = json.dumps([base64.b64encode(mp3).decode("ascii")], separators=(",", ":"))
    line = json.dumps(
        [["wrb.fr", RPC_ID, inner, None, None, None, "generic"]], separators=(",", ":")
    )
    return f")]}}'\n\n{len(line)}\n{line}\n".encode()


def parse_rpc(body: bytes) -> tuple[str, str]:
    """Decode gTTS's ``f.req`` form body into (text, lang)."""
    form = urllib.parse.parse_qs(body.decode("utf-8"))
    rpc = json.loads(form["f.req"][0])
    parameter = json.loads(rpc[0][0][1])
    return parameter[0], parameter[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    tunnel = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Keep test output clean."""

    def do_CONNECT(self) -> None:  # noqa: N802 - http.server naming
        """Pretend to tunnel to Google: accept, then be Google over TLS on the same socket."""
        self.tunnel = self.path
        self.send_response(200, "Connection established")
        self.end_headers()
        self.connection = self.server.tls.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb", self.rbufsize)
        self.wfile = self.connection.makefile("wb", 0)
        self.close_connection = False

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            text, lang = parse_rpc(body)
        except (KeyError, IndexError, ValueError):
            self._answer(400, b"bad request")
            return
        with fake._lock:
            fake.requests.append(
                FakeRequest(self.headers.get("Host", ""), self.tunnel, self.path, text, lang)
            )
            failing = fake.fail_first > 0
            if failing:
                fake.fail_first -= 1
        if fake.delay_s and fake._stop.wait(fake.delay_s):
            return  # the fixture is tearing down
        if failing or fake.status != 200:
            self._answer(500 if failing else fake.status, b"error")
            return
        self._answer(200, google_answer(fake.mp3 or fake.speech_mp3))

    def _answer(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (timeout): nothing to do

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        if isinstance(self.connection, ssl.SSLSocket):
            with contextlib.suppress(OSError):
                self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeGtts, tls: ssl.SSLContext) -> None:
        self.fake = fake
        self.tls = tls
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that time out and hang up are expected here, not errors."""


@pytest.fixture(scope="session")
def fake_gtts_audio(tmp_path_factory: pytest.TempPathFactory) -> FakeAudio:
    """MP3 clips and a TLS certificate, made once per test session."""
    folder = tmp_path_factory.mktemp("fake_gtts")
    speech, silent = _make_mp3s(folder)
    cert, key = _make_cert(folder)
    return FakeAudio(speech, silent, cert, key)


@pytest.fixture
def fake_gtts(fake_gtts_audio: FakeAudio, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGtts]:
    """A running fake Google TTS endpoint; gTTS in this process reaches it via HTTPS_PROXY."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(fake_gtts_audio.cert_file, fake_gtts_audio.key_file)
    fake = FakeGtts(audio=fake_gtts_audio)
    server = _Server(fake, tls)
    fake.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-gtts", daemon=True
    )
    thread.start()
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, fake.proxy_url)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield fake
    finally:
        fake._stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)

