"""The documentation under docs/ keeps step with the code, without starting anything.

- every RPC method of every service class is documented in docs/contract/<service>.md;
- every ``${VAR:default}`` of services/*/config.yaml is in docs/configuration.md;
- every metric defined in anchang_common.metrics is in docs/contract/metrics.md;
- no document cites a design file a clone does not have.
"""
import importlib
import inspect
import re
from pathlib import Path

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc
from prometheus_client import metrics as prometheus_metrics

from anchang_common import metrics

REPO = Path(__file__).resolve().parents[2]

DOCS = REPO / "docs"
SERVICES = ("staff", "client_vault", "ticket", "appraisal")
CONFIG_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):")
# a design document outside the repository, cited by section: "DESIGN" + section sign
STALE_CITATION = "DESIGN " + "\u00a7"


def rpc_methods(service_cls):
    """Names of the methods of ``service_cls`` that nameko serves as RPC entrypoints."""
    names = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        entrypoints = getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())
        if any(isinstance(entrypoint, Rpc) for entrypoint in entrypoints):
            names.append(name)
    return sorted(names)


def documented_methods(text):
    """Method names in backticks at the start of a heading or of a table row: `name` or `name(...)`."""
    pattern = re.compile(r"^(?:#+\s+|\|\s*)`([a-z_][a-z0-9_]*)[(`]", re.MULTILINE)
    return set(pattern.findall(text))


def undocumented_rpc_methods(service, text):
    service_cls = importlib.import_module(f"{service}.service").Service
    return sorted(set(rpc_methods(service_cls)) - documented_methods(text))


def config_variables():
    found = {}
    for path in sorted((REPO / "services").glob("*/config.yaml")):
        for variable in CONFIG_VARIABLE.findall(path.read_text()):
            found.setdefault(variable, []).append(path.parent.name)
    return found


def missing_words(names, text):
    """Names that do not appear in ``text`` as `name` (in backticks)."""
    return sorted(name for name in names if f"`{name}`" not in text)


def defined_metric_names():
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, prometheus_metrics.MetricWrapperBase):
            # prometheus_client strips the _total suffix of counters from _name
            names.add(value._name + ("_total" if value._type == "counter" else ""))
    return sorted(names)


def stale_citations(paths):
    return [str(path.relative_to(REPO)) for path in paths if STALE_CITATION in path.read_text()]


# --- the checks ----------------------------------------------------------------------------------

def test_the_service_classes_have_rpc_methods_to_check():
    # the discovery itself works: staff serves login, appraisal get_template
    assert "login" in rpc_methods(importlib.import_module("staff.service").Service)
    assert "get_template" in rpc_methods(importlib.import_module("appraisal.service").Service)
    assert "health_ready" not in rpc_methods(importlib.import_module("staff.service").Service)


@pytest.mark.parametrize("service", SERVICES)
def test_every_rpc_method_is_documented(service):
    page = DOCS / "contract" / f"{service}.md"
    assert page.exists(), f"{page.relative_to(REPO)} is missing"
    missing = undocumented_rpc_methods(service, page.read_text())
    assert not missing, (
        f"RPC methods of {service} not documented in {page.relative_to(REPO)} "
        f"(as a heading or table row starting with the name in backticks): {missing}")


def test_every_config_variable_is_documented():
    variables = config_variables()
    assert "AMQP_URI" in variables and "TRAINING_PASS_MARK" in variables
    missing = missing_words(variables, (DOCS / "configuration.md").read_text())
    assert not missing, f"variables of services/*/config.yaml not in docs/configuration.md: {missing}"


def test_every_metric_is_documented():
    names = defined_metric_names()
    assert "anchang_rpc_duration_seconds" in names and "anchang_pii_reveals_total" in names
    missing = missing_words(names, (DOCS / "contract" / "metrics.md").read_text())
    assert not missing, f"metrics of anchang_common.metrics not in docs/contract/metrics.md: {missing}"


def test_no_document_cites_the_design_file():
    paths = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted(DOCS.rglob("*.md"))]
    stale = stale_citations(paths)
    assert not stale, f"cite docs/ instead of sections of a design file: {stale}"


# --- the checks can fail -------------------------------------------------------------------------

def test_the_checks_catch_what_they_are_for():
    staff_page = (DOCS / "contract" / "staff.md").read_text()
    without_login = "\n".join(line for line in staff_page.splitlines() if "`login" not in line)
    assert undocumented_rpc_methods("staff", without_login) == ["login"]
    assert missing_words(["LOG_LEVEL"], "| `LOG_LEVELS` | |") == ["LOG_LEVEL"]
    metrics_page = (DOCS / "contract" / "metrics.md").read_text()
    assert missing_words(defined_metric_names(), metrics_page.replace(
        "`anchang_tickets_open`", "")) == ["anchang_tickets_open"]
