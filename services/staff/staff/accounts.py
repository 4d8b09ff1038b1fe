"""Password checks of ``login`` and ``change_password``, and the session a login opens.

Unknown account, wrong password and locked account get the same refusal after one argon2
verification each, so neither the answer nor its time tells which accounts exist. The member's row
is locked by ``StaffStorage.account`` for the transaction, so parallel guesses are counted one after
the other and cannot pass the limit.
"""
from anchang_common.auth import Principal
from anchang_common.errors import Unauthenticated
from anchang_common.types import utcnow
from staff import views
from staff.passwords import verify_password

BAD_LOGIN = "wrong username or password"


def verified(store, lockout, password, username=None, staff_id=None):
    """The ``Member`` with ``username`` (or ``staff_id``) when ``password`` is right and the account
    not locked; ``Unauthenticated(BAD_LOGIN)`` otherwise, a failure counted at once."""
    member, password_hash, failures = store.account(username=username, staff_id=staff_id) or (None, None, ())
    now = utcnow()
    locked = member is not None and lockout.locked_until(failures, now) is not None
    if not verify_password(None if locked else password_hash, password):
        if member is not None and not locked:
            store.record_login_failure(member.staff_id, now)
        raise Unauthenticated(BAD_LOGIN)
    store.clear_login_failures(member.staff_id)
    return member


def open_session(auth, member):
    """``{token, expires_at, staff_id, roles, must_change_password}`` for ``member``."""
    principal = Principal(staff_id=member.staff_id, username=member.username, roles=member.roles,
                          status=member.status, version=member.token_version,
                          must_change_password=member.must_change_password)
    return views.session_view(member, *auth.issue(principal))
