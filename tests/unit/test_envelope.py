import os

import pytest

from nija.adapters.envelope import SealBroken, Sealed, associated_data, seal, unseal

KEY = os.urandom(32)


def sealed(user: str = "u1", broker: str = "kraken", version: int = 1) -> Sealed:
    return seal(b'{"api_secret":"s3cr3t"}', KEY, b"wrapped-key", user, broker, version)


def test_round_trip_through_json() -> None:
    s = Sealed.from_json(sealed().to_json())
    assert unseal(s, KEY, "u1", "kraken") == b'{"api_secret":"s3cr3t"}'
    assert b"s3cr3t" not in s.ciphertext and "s3cr3t" not in sealed().to_json()


def test_each_seal_uses_a_fresh_nonce() -> None:
    assert sealed().nonce != sealed().nonce


@pytest.mark.parametrize(("user", "broker"), [("u2", "kraken"), ("u1", "binance")])
def test_a_seal_opens_only_for_its_user_and_broker(user: str, broker: str) -> None:
    with pytest.raises(SealBroken):
        unseal(sealed(), KEY, user, broker)


def test_a_changed_version_or_byte_is_refused() -> None:
    s = sealed()
    bumped = Sealed(2, s.encrypted_key, s.nonce, s.ciphertext)
    with pytest.raises(SealBroken):
        unseal(bumped, KEY, "u1", "kraken")
    flipped = Sealed(1, s.encrypted_key, s.nonce, bytes([s.ciphertext[0] ^ 1]) + s.ciphertext[1:])
    with pytest.raises(SealBroken):
        unseal(flipped, KEY, "u1", "kraken")


@pytest.mark.parametrize("text", ["", "{}", '{"format": 9}', "not json"])
def test_unreadable_blobs_are_refused(text: str) -> None:
    with pytest.raises(SealBroken):
        Sealed.from_json(text)


def test_associated_data_names_user_broker_and_version() -> None:
    assert associated_data("u1", "kraken", 3) == b'{"broker": "kraken", "user_id": "u1", "version": 3}'
