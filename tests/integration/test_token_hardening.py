"""Credentials of any shape, tokens without bounds, tokens in events, shared idempotency keys: each
refused or closed, over the real broker, the real Vault and each database dialect."""
import logging
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import ISSUER, TokenIssuer
from anchang_common.revocation import INITIAL_TOKEN_VERSION
from anchang_common.testing.broker import BrokerTap
from anchang_common.vault import VaultClient
from tests.integration.accounts import ADMIN_PASSWORD as PASSWORD


@pytest.fixture
def issuer(vault_server, service_tokens):
    return TokenIssuer(VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["staff"]}, "staff"))


def claims(**overrides):
    now = int(time.time())
    base = {"iss": ISSUER, "sub": uuid.uuid4().hex, "name": "x", "roles": ["admin"], "st": "active",
            "ver": INITIAL_TOKEN_VERSION, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    base.update(overrides)
    return base


def call_with_context(harness, context):
    with ClusterRpcProxy({"AMQP_URI": harness.amqp_uri}, context_data=context, timeout=20) as rpc:
        try:
            rpc.staff.list_staff()
        except RemoteError as error:
            return error.exc_type
    return "allowed"


def signed_with_random_key(kid):
    return jwt.encode(claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})


def test_malformed_credentials_of_any_shape_are_unauthenticated_and_not_errors(harness, staff, issuer, caplog):
    shapes = [
        42, 4.2, ["Bearer", "x"], {"Bearer": "x"}, True, "Bearer", "Token abc",
        "Bearer " + signed_with_random_key("anchang-auth:\u00b9"),
        "Bearer " + signed_with_random_key("anchang-auth:" + "9" * 5000),
        "Bearer " + signed_with_random_key("anchang-auth:-1"),
        "Bearer " + issuer.sign(claims(ver="abc")),
        "Bearer " + issuer.sign(claims(ver=True)),
        "Bearer " + issuer.sign(claims(roles="admin")),
        "Bearer " + issuer.sign(claims(roles=["root"])),
        "Bearer " + issuer.sign(claims(st="boss")),
        "Bearer " + issuer.sign(claims(sub=["x"])),
        "Bearer " + issuer.sign(claims(iat="yesterday")),
        "Bearer x.y.z",
    ]
    with caplog.at_level(logging.WARNING):
        outcomes = [call_with_context(harness, {"authorization": shape}) for shape in shapes]
    assert outcomes == ["Unauthenticated"] * len(shapes)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert call_with_context(harness, {"authorization": "Bearer " + issuer.sign(claims())}) == "allowed"


def test_tokens_beyond_the_configured_lifetime_are_refused(harness, staff, issuer):
    now = int(time.time())
    year_2200 = issuer.sign(claims(iat=now, exp=7258118400))
    assert call_with_context(harness, {"authorization": f"Bearer {year_2200}"}) == "Unauthenticated"
    for version in (10**9, 10**12, 2**62):  # never issued: only the exact current version is valid
        huge_version = issuer.sign(claims(ver=version))
        assert call_with_context(harness, {"authorization": f"Bearer {huge_version}"}) == "Unauthenticated"
    within = issuer.sign(claims(iat=now, exp=now + 3600))
    assert call_with_context(harness, {"authorization": f"Bearer {within}"}) == "allowed"


def test_events_carry_no_caller_token(harness, staff, issuer):
    with harness.rpc() as rpc:
        admin = rpc.staff.login("admin", PASSWORD)
    token = admin["token"]
    with BrokerTap(harness.amqp_uri, ("staff.events",)) as tap:
        with harness.rpc() as rpc:
            other = rpc.staff.login("admin", PASSWORD)  # a second session to change
        assert other["staff_id"] == admin["staff_id"]
        with harness.rpc(token) as rpc:
            rpc.staff.set_roles(admin["staff_id"], ["admin"])  # dispatches staff.changed
        published = tap.drain(quiet=1.0, deadline=10.0)
    assert published, "staff.changed was not published"
    for message in published:
        headers = message.headers
        assert all(token not in str(value) for value in headers.values())
        assert not {key for key in headers if "authorization" in key}


def test_idempotency_keys_are_per_caller_and_bound_to_the_arguments(harness, staff, issuer):
    alice = issuer.sign(claims(sub="alice-admin"))
    bob = issuer.sign(claims(sub="bob-admin"))

    def create(token, code, key):
        position = {"code": code, "title": "Agent",
                    "requirements": {"min_age": 18, "max_age": 60, "min_education": "high_school"},
                    "scorecard": {"criteria": [{"key": "service", "label": "Service", "weight": 100,
                                                "max_score": 10}], "pass_score": 60, "min_assessors": 1}}
        with harness.rpc(token) as rpc:
            try:
                return rpc.staff.create_position(position, idempotency_key=key)
            except RemoteError as error:
                return error.exc_type

    first = create(alice, "alpha", "key-1")
    assert first["code"] == "alpha"
    assert create(alice, "alpha", "key-1") == first  # a retry gets the first result
    assert create(alice, "beta", "key-1") == "Conflict"  # the same key with other arguments
    theirs = create(bob, "gamma", "key-1")  # another caller's key never meets alice's
    assert theirs["code"] == "gamma"
    with harness.rpc(alice) as rpc:
        with pytest.raises(RemoteError) as raised:
            rpc.staff.get_position("beta")
    assert raised.value.exc_type == "NotFound"
