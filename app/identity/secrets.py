"""Secrets at rest (a provider's client secret): Fernet, keyed by LEDGER_SECRET_KEY.

Rotation: set the new key as LEDGER_SECRET_KEY and the old one in LEDGER_SECRET_KEYS_PREVIOUS;
values encrypted with either decrypt, new ones use the new key; `ledger identity reencrypt`
rewrites stored values with the new key, after which the old key can be dropped. In development
a key is generated once under the data directory; production without
LEDGER_SECRET_KEY starts, but refuses to store a provider's secret (NoSecretKey).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.settings import Settings


class NoSecretKey(Exception):
    """Production without LEDGER_SECRET_KEY: nothing can be encrypted or read back."""


class SecretUnreadable(Exception):
    """No configured key decrypts the stored value (the key it was written with is gone)."""


def _fernet_key(material: str) -> bytes:
    # Any string becomes a valid Fernet key (32 url-safe base64 bytes); a real Fernet key is
    # used as it is so keys made by `Fernet.generate_key()` work unchanged.
    raw = material.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def development_key(settings: Settings) -> str:
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def cipher(settings: Settings) -> MultiFernet:
    if settings.secret_key is None and settings.env == "production":
        raise NoSecretKey("set LEDGER_SECRET_KEY (32+ characters) to store secrets at rest")
    current = settings.secret_key or development_key(settings)
    keys = [current, *settings.secret_keys_previous]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def encrypt(settings: Settings, plaintext: str) -> str:
    return cipher(settings).encrypt(plaintext.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    try:
        return cipher(settings).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "no configured key decrypts the stored secret: set LEDGER_SECRET_KEYS_PREVIOUS to "
            "the key it was written with, or set the provider's client secret again"
        ) from exc


def reencrypt(settings: Settings, token: str) -> str:
    """The same secret, encrypted with the current key."""
    return cipher(settings).rotate(token.encode()).decode()
