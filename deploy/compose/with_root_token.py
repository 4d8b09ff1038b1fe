"""Run a command with ``VAULT_TOKEN`` set to the compose stack's OpenBao root token.

    python -m deploy.compose.with_root_token python -m deploy.vault.provision

The root token is in the file ``deploy.compose.openbao_init`` wrote (``ANCHANG_OPENBAO_INIT_FILE``),
so it never appears in docker-compose.yml nor in ``docker inspect``. Only the one-shot
``vault-bootstrap`` uses it.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m deploy.compose.with_root_token COMMAND [ARGS...]", file=sys.stderr)
        return 2
    init_file = Path(os.environ["ANCHANG_OPENBAO_INIT_FILE"])
    try:
        token = json.loads(init_file.read_text())["root_token"]
    except (OSError, ValueError, KeyError) as error:
        print(f"no OpenBao root token in {init_file} ({error}): has openbao-init run?", file=sys.stderr)
        return 1
    os.environ["VAULT_TOKEN"] = token
    os.execvp(argv[0], argv)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
