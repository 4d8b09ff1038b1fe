"""Idempotent creation: a retry with the same ``idempotency_key`` gets the first result back."""
import sqlalchemy as sa

from anchang_common.errors import ValidationError
from anchang_common.tables import idempotency_keys
from anchang_common.types import utcnow

MAX_KEY_LENGTH = 200


def once(session, scope, key, create):
    """``create()``'s result, or — when ``key`` was used before in ``scope`` — the stored first result.

    The key is stored in the caller's transaction, so a failed call leaves no key behind; two
    concurrent first calls collide on the primary key and the loser's transaction fails as a Conflict.
    """
    if key is None:
        return create()
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"idempotency_key": f"must be a string of 1 to {MAX_KEY_LENGTH} characters"})
    stored = session.execute(sa.select(idempotency_keys.c.result).where(
        idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)).scalar()
    if stored is not None:
        return stored
    result = create()
    session.execute(sa.insert(idempotency_keys).values(
        scope=scope, key=key, result=result, created_at=utcnow()))
    return result
