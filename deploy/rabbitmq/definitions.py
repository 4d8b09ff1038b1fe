"""Anchang's broker permissions (``definitions.json`` next to this file), ready for one broker.

The committed file is the single source: one vhost (``/``), the RPC and event exchanges, one user
per service plus ``caller``, their permissions and topic permissions, and no password (every
``password_hash`` is empty: such a user cannot log in). ``load`` returns it adapted to a target:

- ``vhost``: another vhost name (every permission and exchange moves with it);
- ``user_prefix``: prepended to every user name (tests use a unique prefix per run, so parallel
  runs never share or overwrite a user; the permission regexes name queues and routing keys,
  never users, so they stay as they are);
- ``passwords``: ``{user: password}`` → the user's ``password_hash`` in RabbitMQ's default scheme;
- ``extra_users``: administrators to add (with ``.*`` permissions on the vhost).

Standard library only, so that it runs in any Python image: ::

    python deploy/rabbitmq/definitions.py render --out /defs/definitions.json
    # passwords from RABBITMQ_PASSWORD_<USER> (e.g. RABBITMQ_PASSWORD_CLIENT_VAULT) or from
    # files named by RABBITMQ_PASSWORD_<USER>_FILE; optional --vhost, --owner UID:GID,
    # --admin NAME (password from RABBITMQ_PASSWORD_<NAME>[_FILE]); see README.md next to this file.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
from pathlib import Path

PATH = Path(__file__).resolve().with_name("definitions.json")
HASHING_ALGORITHM = "rabbit_password_hashing_sha256"


def hash_password(password, salt=None):
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode()


def load(path=PATH, vhost=None, user_prefix="", passwords=None, extra_users=()):
    """The definitions at ``path`` adapted as the module docstring says (a new dict).

    ``passwords`` is keyed by the names in the file (and of ``extra_users``), before any prefix.
    """
    with open(path) as stream:
        document = json.load(stream)
    passwords = dict(passwords or {})
    if vhost is not None:
        if len(document["vhosts"]) != 1:
            raise ValueError("renaming the vhost needs definitions of exactly one vhost")
        document["vhosts"] = [{**document["vhosts"][0], "name": vhost}]
        for kind in ("permissions", "topic_permissions", "exchanges", "queues", "bindings", "policies",
                     "parameters"):
            for item in document.get(kind, []):
                item["vhost"] = vhost
    for user in document["users"]:
        if user["name"] in passwords:
            user["password_hash"] = hash_password(passwords.pop(user["name"]))
            user["hashing_algorithm"] = HASHING_ALGORITHM
        user["name"] = user_prefix + user["name"]
    for item in document["permissions"] + document["topic_permissions"]:
        item["user"] = user_prefix + item["user"]
    target_vhost = document["vhosts"][0]["name"]
    for name in extra_users:
        password = passwords.pop(name, None)
        document["users"].append({
            "name": name, "password_hash": hash_password(password) if password else "",
            "hashing_algorithm": HASHING_ALGORITHM, "tags": ["administrator"], "limits": {}})
        document["permissions"].append(
            {"user": name, "vhost": target_vhost, "configure": ".*", "write": ".*", "read": ".*"})
    if passwords:
        raise ValueError(f"passwords for unknown users: {sorted(passwords)}")
    return document


def user_names(path=PATH):
    with open(path) as stream:
        return [u["name"] for u in json.load(stream)["users"]]


def _password_from_env(name, environ):
    key = "RABBITMQ_PASSWORD_" + name.upper().replace("-", "_")
    if environ.get(key + "_FILE"):
        return Path(environ[key + "_FILE"]).read_text().strip()
    return environ.get(key) or None


def main(argv=None, environ=None):
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(description="Render Anchang's RabbitMQ definitions with passwords.")
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="write definitions with password hashes from the environment")
    render.add_argument("--out", help="file to write (mode 0600); default: standard output")
    render.add_argument("--owner", help="UID:GID to give the written file (e.g. 999:999, the rabbitmq "
                                        "user of the official image, which must read it)")
    render.add_argument("--vhost", help="vhost to put everything in (default: as in the file, /)")
    render.add_argument("--admin", action="append", default=[],
                        help="also create this administrator (a node that imports definitions at "
                             "boot creates no default user)")
    render.add_argument("--allow-missing", action="store_true",
                        help="leave users without a password in the environment password-less "
                             "instead of failing")
    args = parser.parse_args(argv)

    names = user_names() + args.admin
    passwords = {name: _password_from_env(name, environ) for name in names}
    missing = sorted(name for name, password in passwords.items() if not password)
    if missing and not args.allow_missing:
        parser.error("no password for " + ", ".join(missing) + " (set RABBITMQ_PASSWORD_<USER> or "
                     "RABBITMQ_PASSWORD_<USER>_FILE, or pass --allow-missing)")
    passwords = {name: password for name, password in passwords.items() if password}
    document = load(vhost=args.vhost, passwords=passwords, extra_users=args.admin)
    text = json.dumps(document, indent=2) + "\n"
    if args.out:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as stream:
            stream.write(text)
        if args.owner:
            uid, _, gid = args.owner.partition(":")
            os.chown(args.out, int(uid), int(gid or uid))
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
