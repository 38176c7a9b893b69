"""Shared fixtures: a fresh data folder per test, the CLI runner, the sound server and its sinks.

Sound tests use a real PulseAudio server with a null sink (scripts/pulse-null-sink starts it);
they record the sink's monitor to prove what played. A station test plays on a null sink of its
module's own (``sink``), a receiver test gives each box one (``sinks``), so other stations on the
shared sound server stay out of what is recorded.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised, empty data folder; BROADCASTER_HOME points at it; offline TTS."""
    folder = tmp_path / "home"
    monkeypatch.setenv("BROADCASTER_HOME", str(folder))
    monkeypatch.setenv("BROADCASTER_TTS_ENGINES", "espeak")
    for name in list(os.environ):
        if name.startswith("BROADCASTER_") and name not in {"BROADCASTER_HOME", "BROADCASTER_TTS_ENGINES"}:
            monkeypatch.delenv(name)
    from broadcaster.context import init_home

    ctx, _ = init_home(folder)
    ctx.dispose()
    return folder


@pytest.fixture
def ctx(home: Path) -> Iterator["object"]:
    from broadcaster.context import open_context

    context = open_context(home)
    yield context
    context.dispose()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Runs ``broadcaster ARGS`` in-process and captures what a user would see."""
    from broadcaster.cli import main

    def run(*args: str, stdin: str | None = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        old_stdin = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse usage errors
                    code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdin = old_stdin
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[dict[str, str]]:
    """A running PulseAudio server with the null sink ``loaxa``; returns its environment."""
    if shutil.which("pulseaudio") is None or shutil.which("paplay") is None:
        pytest.fail("PulseAudio chưa được cài: chạy scripts/test để cài đủ phụ thuộc")
    proc = subprocess.run(
        [str(ROOT / "scripts" / "pulse-null-sink"), "loaxa"], capture_output=True, text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    env: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def null_sinks(names: list[str], pulse_env: dict[str, str]) -> Iterator[list[str]]:
    """Null sinks by these names on the test sound server, unloaded afterwards."""
    env = {**os.environ, **pulse_env}
    modules: list[str] = []
    try:
        for name in names:
            loaded = subprocess.run(
                ["pactl", "load-module", "module-null-sink", f"sink_name={name}", "norewinds=1",
                 "rate=44100", "channels=2"], capture_output=True, text=True, env=env, check=False)
            assert loaded.returncode == 0, loaded.stderr
            modules.append(loaded.stdout.strip())
        yield names
    finally:
        for module in modules:
            subprocess.run(["pactl", "unload-module", module], capture_output=True, env=env,
                           check=False)


@pytest.fixture(scope="module")
def sink(pulse_server: dict[str, str]) -> Iterator[str]:
    """A null sink of this module's own: other stations on the shared sound server stay out."""
    with null_sinks([f"loaxa_station_{os.getpid()}"], pulse_server) as names:
        yield names[0]


@pytest.fixture
def sinks(pulse_server: dict[str, str]) -> Iterator[list[str]]:
    """Two null sinks, one per village receiver box (thôn Đông, thôn Tây)."""
    with null_sinks(["rx_dong", "rx_tay"], pulse_server) as names:
        yield names
