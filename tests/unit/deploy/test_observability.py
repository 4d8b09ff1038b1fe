"""The rules and dashboards are generated from deploy/observability/ and cannot drift; every alert
has a runbook; every metric they read is one the contract names."""
import json
import re
from pathlib import Path

import yaml

from deploy.observability.__main__ import DASHBOARDS, RULES, rendered, stale
from deploy.observability.rules import alert_names
from deploy.observability.slos import SLOS

REPO = Path(__file__).resolve().parents[3]
METRIC = re.compile(r"\b((?:anchang|rabbitmq)_[a-z_]+|up)\b(?=\s*[{\[)]|\s)")


def rules():
    return yaml.safe_load((REPO / RULES).read_text())["groups"]


def test_the_committed_rules_and_dashboards_are_what_the_code_generates(monkeypatch):
    monkeypatch.chdir(REPO)
    assert stale(REPO) == []
    assert set(rendered()) >= {RULES} and len([p for p in rendered() if p.parent == DASHBOARDS]) == 7


def test_a_dashboard_edited_by_hand_is_found(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    for path, text in rendered().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    edited = tmp_path / DASHBOARDS / "anchang-sla.json"
    model = json.loads(edited.read_text())
    model["title"] = "edited in the UI"
    edited.write_text(json.dumps(model))
    (tmp_path / DASHBOARDS / "orphan.json").write_text("{}")
    assert stale(tmp_path) == [str(DASHBOARDS / "anchang-sla.json"), str(DASHBOARDS / "orphan.json")]


def test_every_alert_links_its_runbook_and_every_runbook_has_an_alert():
    alerts = [rule for group in rules() for rule in group["rules"] if "alert" in rule]
    assert sorted(rule["alert"] for rule in alerts) == sorted(alert_names())
    for rule in alerts:
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["runbook_url"] == f"docs/runbooks/{rule['alert']}.md"
        assert (REPO / rule["annotations"]["runbook_url"]).is_file(), rule["alert"]
    assert {p.stem for p in (REPO / "docs" / "runbooks").glob("*.md")} == set(alert_names())


def test_docs_slo_states_every_objective():
    text = (REPO / "docs" / "slo.md").read_text()
    for slo in SLOS:
        assert f"`{slo.key}`" in text
        assert f"{slo.objective * 100:g} %" in text, slo.key


def expressions():
    for group in rules():
        for rule in group["rules"]:
            yield rule["expr"]
    for path in sorted((REPO / DASHBOARDS).glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                yield target["expr"]


def metrics_read():
    recorded = {rule["record"] for group in rules() for rule in group["rules"] if "record" in rule}
    names = set()
    for expr in expressions():
        names |= {m for m in METRIC.findall(expr)}
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in names} - recorded


def test_every_metric_the_rules_and_dashboards_read_is_in_the_contract():
    contract = (REPO / "docs" / "contract" / "metrics.md").read_text()
    anchang = {m for m in metrics_read() if m.startswith("anchang_")}
    assert anchang >= {"anchang_rpc_duration_seconds", "anchang_ticket_sla_breaches_total"}
    assert [m for m in sorted(anchang) if f"`{m}`" not in contract] == []
