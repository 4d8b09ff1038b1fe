"""argon2id password hashing, run on eventlet's thread pool so a login does not stall other workers."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified when the user does not exist, so both cases take the same time
_DUMMY_HASH = _hasher.hash("not a real password 0")


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash, password):
    try:
        return tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
