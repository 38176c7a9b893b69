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
