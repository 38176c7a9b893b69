"""Named domain errors. Each carries a Vietnamese message for the person who caused it.

The CLI and the web panel turn these into one clear line (or a flash message) at the edge;
nothing below the edge formats errors for humans twice.
"""
from __future__ import annotations


class BroadcasterError(Exception):
    """Base of every error a user can cause; ``str(exc)`` is the Vietnamese message."""


class NotInitializedError(BroadcasterError):
    pass


class ConfigError(BroadcasterError):
    pass


class NotFoundError(BroadcasterError):
    pass


class ValidationError(BroadcasterError):
    pass


class DuplicateError(BroadcasterError):
    pass


class PermissionDenied(BroadcasterError):
    pass


class WorkflowError(BroadcasterError):
    """A bulletin moved along its workflow in a way the rules do not allow."""


class ScheduleConflictError(BroadcasterError):
    """``str(exc)``: the conflicts and how to save anyway; ``warnings``: the conflicts alone, for
    a form that shows its own acknowledgement box beside them (the panel said it twice)."""

    def __init__(self, message: str, warnings: list[str] | None = None) -> None:
        super().__init__(message)
        self.warnings = list(warnings) if warnings else [message]


class StationLockedError(BroadcasterError):
    pass


class PlayoutError(BroadcasterError):
    pass


class UnplayableAudioError(BroadcasterError):
    pass
