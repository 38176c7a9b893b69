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
    pass


class StationLockedError(BroadcasterError):
    pass


class PlayoutError(BroadcasterError):
    pass


class UnplayableAudioError(BroadcasterError):
    pass
