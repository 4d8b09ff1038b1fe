"""The rules and dashboards are generated from deploy/observability/ and cannot drift; every alert
has a runbook; every metric they read is one the contract names."""
import json
import re
from pathlib import Path

import yaml
from prometheus_client.metrics import MetricWrapperBase

import anchang_common.metrics as metrics
from deploy.observability.__main__ import DASHBOARDS, RULES, rendered, stale
from deploy.observability.reads import metrics_read, uses
from deploy.observability.rules import alert_names
from deploy.observability.slos import SLOS

REPO = Path(__file__).resolve().parents[3]


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


def test_every_metric_the_rules_and_dashboards_read_is_in_the_contract():
    contract = (REPO / "docs" / "contract" / "metrics.md").read_text()
    anchang = {re.sub(r"_(bucket|count|sum)$", "", name) for name in metrics_read(REPO)}
    assert anchang >= {"anchang_rpc_duration_seconds", "anchang_ticket_sla_breaches_total"}
    assert [m for m in sorted(anchang) if f"`{m}`" not in contract] == []


def defined_series():
    """Series name -> label names of every metric ``anchang_common.metrics`` defines."""
    series = {}
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            labels = set(metric._labelnames)
            if metric._type == "histogram":
                series |= {f"{metric._name}_bucket": labels | {"le"}, f"{metric._name}_count": labels,
                           f"{metric._name}_sum": labels}
            else:
                series[f"{metric._name}_total" if metric._type == "counter" else metric._name] = labels
    return series


def test_every_series_and_label_the_rules_and_dashboards_read_is_defined():
    defined, reads = defined_series(), metrics_read(REPO)
    assert sorted(set(reads) - set(defined)) == []
    assert {name: read.labels - defined[name] for name, read in reads.items() if read.labels - defined[name]} == {}


def labels_of(expr, shown=()):
    found = {}
    for use in uses(expr, shown):
        found.setdefault(use.name, set()).update(use.labels)
    return found


def test_labels_used_by_selectors_groupings_matching_and_legends():
    assert labels_of('sum by (service, le) (rate(x_bucket{outcome!="ok"}[$__rate_interval]))') == {
        "x_bucket": {"service", "le", "outcome"}}
    assert labels_of("sum without (instance) (a) / on (service) group_left (team) sum by (service, team) (b)") == {
        "a": {"service"}, "b": {"service", "team"}}
    assert labels_of("histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))", ["category"]) == {
        "h_bucket": {"le", "category"}}
    assert labels_of('count({__name__="n", kind=~"a|b"}) > 0 or vector(0)') == {"n": {"kind"}}
    [use] = uses('x_bucket{le="900.0", priority=~"high|low"}')
    assert use.values == (("le", "900.0"),)


def test_what_is_read_of_a_recorded_series_is_read_of_the_series_behind_it(tmp_path):
    (tmp_path / "deploy/prometheus/rules").mkdir(parents=True)
    (tmp_path / "deploy/grafana/dashboards").mkdir(parents=True)
    (tmp_path / "deploy/prometheus/rules/r.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"record": "service:errors:ratio_rate5m", "expr": "sum by (service) (rate(errors_total[5m]))"},
        {"alert": "Down", "expr": 'up{job="x"} == 0 or rabbitmq_queue_messages_ready > 1',
         "annotations": {"summary": "{{ $labels.instance }} is down"}},
        {"alert": "Burning", "expr": "service:errors:ratio_rate5m > 1",
         "annotations": {"summary": "{{ $labels.region }} burns"}}]}]}))
    (tmp_path / "deploy/grafana/dashboards/d.json").write_text(json.dumps({"panels": [{"targets": [
        {"expr": 'service:errors:ratio_rate5m{service="ticket"}', "legendFormat": "{{method}}"}]}]}))
    reads = metrics_read(tmp_path)
    assert set(reads) == {"errors_total"}  # up and rabbitmq_* are not Anchang's; the recorded series is no metric
    assert reads["errors_total"].labels == {"service", "region", "method"}
    assert reads["errors_total"].values == {"service": {"ticket"}}
    assert reads["errors_total"].readers == {"alert Burning", "d.json: None", "record service:errors:ratio_rate5m"}
