"""docker-compose.yml against the Compose Specification, and the documented example credentials.

The schema is vendored (tests/integration/compose_spec/, source in SOURCE.md there) and checked with
the pinned `jsonschema` package: no Docker CLI and no network needed. The example admin password of
the README and of docker-compose.yml is checked with staff's own password policy, the one
`python -m staff.bootstrap` applies in the `migrate` one-shot.
"""
import copy
import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from staff import domain
from staff.bootstrap import ADMIN_USERNAME
from staff.passwords import COMMON_PASSWORDS

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).resolve().parent / "compose_spec" / "compose-spec.json"
SCHEMA_SHA256 = "1f91e091f16b2dd50ab8860e02bb391d22df553d91c145eacedb1b6eff9c3f0e"
#: where a user is told what to set (files of the repository that document running the stack)
DOCUMENTS = ("README.md", "docker-compose.yml", "CHANGELOG.md", "deploy/vault/README.md")
#: an example value: ANCHANG_ADMIN_PASSWORD='x', ANCHANG_ADMIN_PASSWORD="x" or ANCHANG_ADMIN_PASSWORD=x
EXAMPLE = re.compile(r"""ANCHANG_ADMIN_PASSWORD=(?:'([^']*)'|"([^"]*)"|([^\s'"`$]+))""")


def validator():
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_vendored_schema_is_the_recorded_one():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256, (
        "compose-spec.json changed: record its source and SHA-256 in compose_spec/SOURCE.md and here")


def test_docker_compose_yml_follows_the_compose_specification():
    errors = sorted(validator().iter_errors(yaml.safe_load(COMPOSE_FILE.read_text())), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize("break_it", [
    lambda doc: doc["services"]["staff"].update(pull_policy="sometimes"),
    lambda doc: doc["services"]["openbao"].update(imagee=doc["services"]["openbao"]["image"]),
    lambda doc: doc["services"]["migrate"]["depends_on"]["postgres"].update(condition="service_ready"),
], ids=["bad-pull-policy", "misspelt-key", "bad-depends-on-condition"])
def test_the_schema_check_catches_mistakes(break_it):
    doc = copy.deepcopy(yaml.safe_load(COMPOSE_FILE.read_text()))
    break_it(doc)
    assert list(validator().iter_errors(doc))


def documented_examples():
    found = []
    for name in DOCUMENTS:
        path = REPO / name
        if path.exists():
            for match in EXAMPLE.finditer(path.read_text()):
                found.append((name, next(group for group in match.groups() if group is not None)))
    return found


def test_the_documentation_gives_an_example_admin_password():
    names = {name for name, _ in documented_examples()}
    assert {"README.md", "docker-compose.yml"} <= names


@pytest.mark.parametrize("where,password", documented_examples())
def test_every_documented_example_password_passes_the_staff_policy(where, password):
    """A user who copies the example must get a stack that starts: staff.bootstrap rejects weak ones."""
    problems = domain.password_problems(password, ADMIN_USERNAME, COMMON_PASSWORDS)
    assert not problems, f"{where}: the example ANCHANG_ADMIN_PASSWORD {'; '.join(problems)}"


def test_the_policy_check_rejects_the_old_example():
    """The example the README gave before: no digit, so `migrate` exited 1 and nothing started."""
    assert domain.password_problems("choose-one", ADMIN_USERNAME)
