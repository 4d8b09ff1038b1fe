"""Idempotent calls: a retry carrying the same ``idempotency_key`` gets the first result back.

A key belongs to one caller and one method, and is stored with a hash of the call's other arguments:
the same key with other arguments is a ``Conflict``, and keys of different callers never meet, so a
caller can never receive another caller's result.
"""
import hashlib
import json

import sqlalchemy as sa

from anchang_common.errors import Conflict, ValidationError
from anchang_common.tables import idempotency_keys
from anchang_common.types import utcnow

#: the name of the optional argument of every creating method
ARGUMENT = "idempotency_key"
MAX_KEY_LENGTH = 200


def request_hash(arguments):
    """A hash of the call's arguments other than the key itself (its values never stored)."""
    payload = {name: value for name, value in arguments.items() if name != ARGUMENT}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def once(session, scope, caller, key, arguments, create):
    """``create()``'s result, or — when ``caller`` used ``key`` before in ``scope`` with the same
    arguments — the stored first result.

    The key is stored in the caller's transaction, so a failed call leaves no key behind; two
    concurrent first calls collide on the primary key and the loser's transaction fails as a Conflict.
    """
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({ARGUMENT: f"must be a string of 1 to {MAX_KEY_LENGTH} characters"})
    digest = request_hash(arguments)
    stored = session.execute(sa.select(idempotency_keys.c.request_hash, idempotency_keys.c.result).where(
        idempotency_keys.c.scope == scope, idempotency_keys.c.caller == caller,
        idempotency_keys.c.key == key)).first()
    if stored is not None:
        if stored.request_hash != digest:
            raise Conflict(f"{ARGUMENT} was used before with other arguments")
        return stored.result
    result = create()
    session.execute(sa.insert(idempotency_keys).values(
        scope=scope, caller=caller, key=key, request_hash=digest, result=result, created_at=utcnow()))
    return result
