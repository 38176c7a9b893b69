"""The station's Ed25519 key: it signs the evidence log's checkpoints.

The private part is written 0600 so only the station's user can read it; the public part is
handed to the province (Sở VHTTDL tỉnh) with the exports so a report can be checked offline.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broadcaster.errors import ConfigError


def ensure_key(private_path: Path, public_path: Path) -> bool:
    """Create the key pair if missing; returns True when a new key was made."""
    if private_path.exists():
        if not public_path.exists():
            public_path.write_bytes(_public_pem(load_private_key(private_path).public_key()))
        return False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(_public_pem(key.public_key()))
    return True


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Không đọc được khóa của đài ({path}): {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"Khóa {path} không phải khóa Ed25519")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Không đọc được khóa công khai ({path}): {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"Khóa {path} không phải khóa Ed25519")
    return key


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
