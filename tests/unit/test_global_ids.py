"""Global ids: base64url of "Type:key"; round trips, composite keys, and refusals."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import global_ids


def test_a_single_key_is_kept_as_is_and_a_composite_one_as_json() -> None:
    assert global_ids.encode("Run", "r-1") == "UnVuOnItMQ"  # base64url("Run:r-1"), unpadded
    assert global_ids.decode("UnVuOnItMQ") == ("Run", "r-1")
    gate = global_ids.encode("AutonomyGate", "w", 2, 3)
    assert global_ids.decode(gate) == ("AutonomyGate", '["w",2,3]')
    assert global_ids.parts('["w",2,3]', 3) == ["w", "2", "3"]


@given(
    st.sampled_from(["Client", "Run", "UsageEvent", "RoiWindow"]),
    st.text(min_size=1),
)
def test_every_key_round_trips(type_name: str, key: str) -> None:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate is no key of ours
    assert global_ids.decode(global_ids.encode(type_name, key)) == (type_name, key)


@pytest.mark.parametrize("bad", ["", "!!!", "UnVu", "OnItMQ", "w6k", "ZGVm", "_w"])
def test_malformed_ids_are_refused(bad: str) -> None:
    # "", not base64, "Run" (no colon), ":r-1" (no type), "é" and "def" (no colon), invalid UTF-8
    with pytest.raises(global_ids.MalformedId):
        global_ids.decode(bad)


@pytest.mark.parametrize("key", ["[1,2]", '["a"]', "{}", '["a",true]', "nope"])
def test_composite_keys_of_the_wrong_shape_are_refused(key: str) -> None:
    with pytest.raises(global_ids.MalformedId):
        global_ids.parts(key, 3)


def test_a_client_id_is_the_uuid_or_the_clients_global_id_only() -> None:
    client = uuid.uuid4()
    assert global_ids.client_uuid(str(client)) == client
    assert global_ids.client_uuid(f" {client} ") == client
    assert global_ids.client_uuid(global_ids.encode("Client", str(client))) == client
    for other in (global_ids.encode("Workflow", str(client)), "acme", ""):
        with pytest.raises(ValueError):
            global_ids.client_uuid(other)
