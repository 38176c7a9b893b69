"""The signed session cookie, verified once per distinct cookie instead of on every request.

Why: every page a logged-in person opens sends the same cookie (it is re-signed at most once a
minute, ``web/security.py``), and Flask verified it from scratch each time — base64, zlib, an
HMAC and a tagged-JSON decode, about a tenth of a list page's CPU. The result of verifying a
given cookie string can never change, except by its age: so the verified contents are kept by
the exact cookie text, with the instant it was signed, and the age limit is still checked on
every request. A changed byte is a different key and is verified in full; nothing unverified is
ever kept (a bad signature is not cached, so forgeries cost what they always did).

Each request gets its own copy of the contents, so what a request writes into its session
(a flash message, a refreshed ``seen``) never leaks into the kept copy or another request.
Bounded (least recently used out first), one lock, per process.
"""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

#: Distinct cookies kept per process: far more than the people of a commune's office.
VERIFIED_COOKIES = 4096


class VerifiedCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with verification remembered by cookie text."""

    def __init__(self, size: int = VERIFIED_COOKIES) -> None:
        self.size = size
        self._verified: OrderedDict[tuple[str, str], tuple[dict[str, Any], float]] = OrderedDict()
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        key = (str(app.secret_key), value)
        with self._lock:
            kept = self._verified.get(key)
            if kept is not None:
                self._verified.move_to_end(key)
        if kept is None:
            try:
                data, signed = signer.loads(value, max_age=int(max_age), return_timestamp=True)
            except BadSignature:
                return self.session_class()
            kept = (data, signed.timestamp())
            with self._lock:
                self._verified[key] = kept
                while len(self._verified) > self.size:
                    self._verified.popitem(last=False)
        data, signed_at = kept
        if time.time() - signed_at > max_age:
            return self.session_class()  # what itsdangerous refuses as expired
        return self.session_class(_own_copy(data))


def _own_copy(data: dict[str, Any]) -> dict[str, Any]:
    """The contents for one request: strings and numbers shared, containers (flashes) copied."""
    return {key: value if isinstance(value, (str, int, float, bool, type(None))) else copy.deepcopy(value)
            for key, value in data.items()}
