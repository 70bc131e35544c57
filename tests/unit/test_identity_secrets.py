"""Client secrets at rest: encrypted, readable with the current or a previous key, rotatable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.identity.secrets import SecretUnreadable, decrypt, encrypt, reencrypt
from app.settings import Settings


def settings(tmp_path: Path, key: str | None, previous: list[str] | None = None) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=key, secret_keys_previous=previous or [])


def test_a_secret_is_stored_encrypted_and_read_back(tmp_path: Path) -> None:
    s = settings(tmp_path, "a long enough key for the tests")
    stored = encrypt(s, "client-secret-1")
    assert "client-secret-1" not in stored
    assert decrypt(s, stored) == "client-secret-1"


def test_rotation_reads_old_values_and_rewrites_them_with_the_new_key(tmp_path: Path) -> None:
    old = settings(tmp_path, "the old key")
    stored = encrypt(old, "s3cret")
    rotated = settings(tmp_path, "the new key", ["the old key"])
    assert decrypt(rotated, stored) == "s3cret"
    rewritten = reencrypt(rotated, stored)
    assert decrypt(settings(tmp_path, "the new key"), rewritten) == "s3cret"
    with pytest.raises(SecretUnreadable, match="LEDGER_SECRET_KEYS_PREVIOUS"):
        decrypt(settings(tmp_path, "the new key"), stored)


def test_development_generates_one_key_under_the_data_directory(tmp_path: Path) -> None:
    s = settings(tmp_path, None)
    stored = encrypt(s, "x")
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    assert decrypt(settings(tmp_path, None), stored) == "x"


def test_previous_keys_come_from_a_comma_separated_variable(monkeypatch) -> None:
    monkeypatch.setenv("LEDGER_SECRET_KEYS_PREVIOUS", "k1, k2")
    assert Settings().secret_keys_previous == ["k1", "k2"]


def test_production_without_a_key_refuses_to_store_a_secret(tmp_path: Path) -> None:
    from app.identity.secrets import NoSecretKey

    production = Settings(
        env="production", data_dir=tmp_path, jwks_url="https://x", database_url="x", redis_url="y"
    )
    with pytest.raises(NoSecretKey, match="LEDGER_SECRET_KEY"):
        encrypt(production, "s")
    assert not (tmp_path / "secret.key").exists()
