"""Passwords: argon2id hashing (on eventlet's thread pool, so a login does not stall other workers),
the list of common passwords the policy refuses, and one-time passwords."""
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from zxcvbn.frequency_lists import FREQUENCY_LISTS

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified when the user does not exist or the account is locked, so every refusal takes the same time
_DUMMY_HASH = _hasher.hash("not a real password 0")
#: the 30,000 most common passwords of the zxcvbn project's leaked-password corpus, lower case
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
_ONE_TIME_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash, password):
    """Whether ``password`` matches ``password_hash``; with no hash, one verification all the same
    (against a dummy hash), so the answer takes as long as for a real account."""
    try:
        return tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def one_time_password():
    """A random password meeting the policy (letters and digits, 16 characters)."""
    while True:
        password = "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(16))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password
