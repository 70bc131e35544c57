"""Who an ID token lets in, and with which role: hand-written cases of the pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.principal import Role
from app.identity.claims import ROLE_RANK, claim_values, email_allowed, role_from_claims

MAP = {"owners": Role.OWNER, "eng": Role.ENGINEER, "ana": Role.ANALYST}


@pytest.mark.parametrize(
    ("claims", "path", "expected"),
    [
        ({"groups": ["a", "b"]}, "groups", ["a", "b"]),
        ({"groups": "a"}, "groups", ["a"]),
        ({"groups": ["a", 3, None]}, "groups", ["a"]),
        ({"groups": {"a": 1}}, "groups", []),
        ({}, "groups", []),
        ({"realm_access": {"roles": ["eng"]}}, "realm_access.roles", ["eng"]),
        ({"realm_access": ["eng"]}, "realm_access.roles", []),
    ],
)
def test_claim_values_read_lists_strings_and_dotted_paths(claims, path, expected) -> None:
    assert claim_values(claims, path) == expected


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (["ana"], Role.ANALYST),
        (["ana", "owners"], Role.OWNER),
        (["eng", "ana"], Role.ENGINEER),
        (["marketing"], None),
        ([], None),
        (["OWNERS"], None),  # values match exactly, as the provider sends them
    ],
)
def test_the_most_capable_mapped_role_wins_and_unmapped_means_no_access(groups, expected) -> None:
    assert role_from_claims({"groups": groups}, "groups", MAP) is expected


@given(st.lists(st.sampled_from(["owners", "eng", "ana", "x", "y"])))
def test_the_granted_role_is_one_of_the_mapped_values_and_ranks_highest(groups: list[str]) -> None:
    role = role_from_claims({"groups": groups}, "groups", MAP)
    mapped = [MAP[g] for g in groups if g in MAP]
    if not mapped:
        assert role is None
    else:
        assert role in mapped and all(ROLE_RANK[role] >= ROLE_RANK[m] for m in mapped)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "ada@agency.example", "email_verified": True}, "ada@agency.example"),
        ({"email": "ada@Agency.Example"}, "ada@Agency.Example"),  # domains compare lower-cased
        ({"email": "ada@agency.example", "email_verified": False}, None),
        ({"email": "ada@evil.example"}, None),
        ({"email": "ada@sub.agency.example"}, None),  # a subdomain is another domain
        ({"email": "agency.example"}, None),
        ({"email": "@agency.example"}, None),
        ({}, None),
        ({"email": ["ada@agency.example"]}, None),
    ],
)
def test_only_verified_addresses_of_allowed_domains_get_in(claims, expected) -> None:
    assert email_allowed(claims, ["agency.example"]) == expected
