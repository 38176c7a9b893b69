"""Amplifier hooks: operator commands run before a program (power on, switch zone relays) and after.

A hook that fails must never stop a broadcast: the loudspeakers may already be powered by hand,
and a missed bulletin costs more than a log line. So failures are logged and returned, not raised.
"""
from __future__ import annotations

import logging
import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import Mapping

logger = logging.getLogger(__name__)

HOOK_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class HookResult:
    ok: bool
    message: str


def run_hook(command: str, *, phase: str, env: Mapping[str, str] | None = None,
             timeout_s: float = HOOK_TIMEOUT_S) -> HookResult | None:
    """Run one hook (``amp_on_command`` / ``amp_off_command``); None when none is configured.

    The command is split like a shell would (``shlex``) but never run by a shell. ``env`` adds
    LOAXA_* variables (phase, occurrence, zones) so one script can switch the right relays.
    """
    if not command.strip():
        return None
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        message = f"Lệnh bật/tắt âm ly ({phase}) viết sai: {exc}"
        logger.error(message)
        return HookResult(False, message)
    full_env = dict(os.environ)
    full_env["LOAXA_PHASE"] = phase
    full_env.update(env or {})
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                              env=full_env, check=False)
    except FileNotFoundError:
        message = f"Không tìm thấy lệnh âm ly ({phase}): {argv[0]}"
    except subprocess.TimeoutExpired:
        message = f"Lệnh âm ly ({phase}) chạy quá {timeout_s:.0f} giây, đã bỏ qua"
    except OSError as exc:
        message = f"Không chạy được lệnh âm ly ({phase}): {exc}"
    else:
        if proc.returncode == 0:
            logger.info("lệnh âm ly (%s) chạy xong", phase)
            return HookResult(True, "")
        stderr = (proc.stderr or "").strip().splitlines()
        message = (f"Lệnh âm ly ({phase}) lỗi, mã {proc.returncode}"
                   + (f": {stderr[-1]}" if stderr else ""))
    logger.error(message)
    return HookResult(False, message)


class AmpHooks:
    """The configured on/off hooks of one output, run around each airing.

    ``early(key)`` runs the "on" hook ahead of time (``station.amp_lead_s``, so the amplifier has
    warmed up at the instant); ``on(key)`` then does not run it again for that airing.
    """

    def __init__(self, on_command: str, off_command: str, output: str) -> None:
        self.on_command = on_command
        self.off_command = off_command
        self.output = output
        self._early: set[str] = set()

    @property
    def configured(self) -> bool:
        return bool(self.on_command.strip())

    def _run(self, phase: str, key: str, zones: str) -> str:
        command = self.on_command if phase == "on" else self.off_command
        result = run_hook(command, phase=phase, env={"LOAXA_OCCURRENCE": key, "LOAXA_ZONES": zones,
                                                     "LOAXA_OUTPUT": self.output})
        return "" if result is None or result.ok else result.message

    def early(self, key: str, zones: str = "") -> str:
        self._early.add(key)
        return self._run("on", key, zones)

    def on(self, key: str, zones: str = "") -> str:
        """The "on" hook unless it already ran early; returns a note for the entry ("" when fine)."""
        if key in self._early:
            return ""
        return self._run("on", key, zones)

    def off(self, key: str, zones: str = "") -> str:
        self._early.discard(key)
        return self._run("off", key, zones)

    def forget(self, key: str) -> None:
        self._early.discard(key)
