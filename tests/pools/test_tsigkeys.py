"""TSIG keys: checked as they are made, and kept while a pool refers to them."""

from __future__ import annotations

import base64

import pytest

from tests.pools.conftest import pool, pools, target
from tests.service.factories import make_zone
from zonefleet.api.deps import ApiServices
from zonefleet.errors import (
    DuplicateTsigKeyError,
    InvalidObjectError,
    PoolNotFound,
    TsigKeyInUseError,
    TsigKeyNotFound,
    ZoneNotFound,
)
from zonefleet.service.pools import PoolService
from zonefleet.service.tsigkeys import TsigKeyService
from zonefleet.storage.database import Database
from zonefleet.storage.models import DEFAULT_POOL_ID

MISSING_ID = "5f6a3b0e-1b7c-4b8e-9a57-2f3f7a8e9d10"


def test_a_generated_secret_is_as_long_as_the_digest(database: Database) -> None:
    keys = TsigKeyService(database)
    sha256 = keys.create_tsigkey("Transfer-Key", "hmac-sha256")
    sha512 = keys.create_tsigkey("other.example.", "HMAC-SHA512", scope="pool")
    assert len(base64.b64decode(sha256.secret)) == 32
    assert len(base64.b64decode(sha512.secret)) == 64
    assert sha256.secret != base64.b64encode(bytes(32)).decode()
    assert [(k.name, k.algorithm, k.scope, k.resource_id) for k in keys.list_tsigkeys()] == [
        ("other.example.", "hmac-sha512", "POOL", DEFAULT_POOL_ID),
        ("transfer-key.", "hmac-sha256", "POOL", DEFAULT_POOL_ID),
    ]


def test_a_given_secret_is_kept(database: Database) -> None:
    secret = base64.b64encode(b"0123456789abcdef").decode()
    key = TsigKeyService(database).create_tsigkey("k", "hmac-md5", secret)
    assert (key.secret, key.algorithm) == (secret, "hmac-md5")


def test_every_bad_field_is_reported(database: Database) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        TsigKeyService(database).create_tsigkey("bad key", "hmac-sha3", "not base64!", "TENANT")
    found = {reason.path: reason.message for reason in caught.value.reasons}
    assert set(found) == {("name",), ("algorithm",), ("secret",), ("scope",)}
    assert (
        "hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5"
        in (found[("algorithm",)])
    )
    assert found[("secret",)] == "the TSIG secret is not valid base64"
    with pytest.raises(InvalidObjectError) as caught:
        TsigKeyService(database).create_tsigkey("", "hmac-sha256")
    assert [(r.path, r.message) for r in caught.value.reasons] == [
        (("name",), "a TSIG key name may not be empty or the root")
    ]
    with pytest.raises(InvalidObjectError) as caught:
        TsigKeyService(database).create_tsigkey("k", "hmac-sha256", "")
    assert [(r.path, r.message) for r in caught.value.reasons] == [
        (("secret",), "the TSIG secret is empty")
    ]
    assert TsigKeyService(database).list_tsigkeys() == []


def test_names_are_unique_whatever_their_spelling(database: Database) -> None:
    keys = TsigKeyService(database)
    keys.create_tsigkey("transfer-key", "hmac-sha256")
    with pytest.raises(DuplicateTsigKeyError):
        keys.create_tsigkey("TRANSFER-KEY.", "hmac-sha256")


def test_the_resource_must_exist(database: Database, services: ApiServices) -> None:
    keys = TsigKeyService(database)
    with pytest.raises(PoolNotFound):
        keys.create_tsigkey("k1", "hmac-sha256", resource_id=MISSING_ID)
    with pytest.raises(InvalidObjectError):
        keys.create_tsigkey("k1", "hmac-sha256", scope="ZONE")
    with pytest.raises(ZoneNotFound):
        keys.create_tsigkey("k1", "hmac-sha256", scope="ZONE", resource_id=MISSING_ID)
    zone = make_zone(services, "example.org.")
    key = keys.create_tsigkey("k1", "hmac-sha256", scope="ZONE", resource_id=zone.id)
    assert (key.scope, key.resource_id) == ("ZONE", zone.id)


def test_a_key_a_pool_uses_cannot_be_deleted(database: Database) -> None:
    keys, service = TsigKeyService(database), PoolService(database)
    keys.create_tsigkey("notify-key", "hmac-sha256")
    service.update_pools(pools(pool(targets=[target(tsigkey_name="notify-key")])))
    with pytest.raises(
        TsigKeyInUseError, match=r"used by pool 'default' targets\[0\]\.tsigkey_name"
    ):
        keys.delete_tsigkey("notify-key")
    service.update_pools(pools(pool(targets=[target()])))
    assert keys.delete_tsigkey("Notify-Key").name == "notify-key."
    assert keys.list_tsigkeys() == []
    with pytest.raises(TsigKeyNotFound):
        keys.delete_tsigkey("notify-key")
    with pytest.raises(TsigKeyNotFound):
        keys.delete_tsigkey("not a name")
