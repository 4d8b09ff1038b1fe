"""The Prometheus rules of Anchang, built from ``slos.SLOS``: recording rules of every SLI over
every window, multi-window multi-burn-rate alerts per SLO, and the alerts that are not about an
error budget (breaches now, PII reveals, queues, targets, dependencies)."""
from __future__ import annotations

from deploy.observability.slos import PAGE, SLOS, TICKET, WINDOWS, Slo

RUNBOOKS = "docs/runbooks"

#: alerts that are not burn rates: name -> (severity, for, expr, summary)
OTHER_ALERTS = {
    "AnchangTicketsBreaching": (
        "ticket", "0m",
        "sum by (kind, priority) (increase(anchang_ticket_sla_breaches_total[15m])) > 0",
        "{{ $value | humanize }} {{ $labels.priority }} tickets missed their {{ $labels.kind }} deadline "
        "in the last 15 minutes"),
    "AnchangPiiRevealsRefused": (
        "page", "0m",
        'sum by (role) (increase(anchang_pii_reveals_total{outcome="refused"}[10m])) >= 10',
        "{{ $value | humanize }} PII reveals by {{ $labels.role }}s refused in 10 minutes"),
    "AnchangPiiRevealAnomaly": (
        "page", "0m",
        "sum(increase(anchang_pii_reveal_anomalies_total[10m])) > 0",
        "a staff member went over the hourly reveal limit (client_vault.reveal_anomaly)"),
    "AnchangRpcQueueGrowing": (
        "ticket", "10m",
        'sum by (queue) (rabbitmq_queue_messages_ready{queue=~"rpc-.*"}) > 50'
        ' and sum by (queue) (deriv(rabbitmq_queue_messages_ready{queue=~"rpc-.*"}[10m])) > 0',
        "RPC queue {{ $labels.queue }} holds {{ $value | humanize }} waiting requests and is growing"),
    "AnchangServiceDown": (
        "page", "2m",
        'up{job=~"anchang.*"} == 0',
        "Prometheus cannot scrape {{ $labels.instance }}"),
    "AnchangDependencyErrors": (
        "ticket", "5m",
        'sum by (service, dependency) (rate(anchang_dependency_duration_seconds_count{outcome="server_error"}[5m]))'
        " > 0.05",
        "{{ $labels.service }} fails calling {{ $labels.dependency }}"),
}


def runbook(alert: str) -> str:
    return f"{RUNBOOKS}/{alert}.md"


def _recording(slo: Slo) -> list[dict]:
    return [{"record": slo.series(w), "expr": slo.ratio_over(w)} for w in WINDOWS]


def _burn(slo: Slo, name: str, severity: str, pairs) -> dict:
    conditions = [f"({slo.series(p.long)} > {p.factor} * {slo.budget} and {slo.series(p.short)} > "
                  f"{p.factor} * {slo.budget})" for p in pairs]
    windows = " or ".join(f"{p.factor}x over {p.long} and {p.short}" for p in pairs)
    return {
        "alert": name,
        "expr": "\n  or\n".join(conditions),
        "labels": {"severity": severity, "slo": slo.key},
        "annotations": {
            "summary": f"{slo.title} of {{{{ $labels.{slo.by} }}}} is burning its 30-day error budget "
                       f"({windows})",
            "runbook_url": runbook(name),
        },
    }


def _other(name: str) -> dict:
    severity, duration, expr, summary = OTHER_ALERTS[name]
    rule = {"alert": name, "expr": expr}
    if duration != "0m":
        rule["for"] = duration
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {"summary": summary, "runbook_url": runbook(name)}
    return rule


def burn_alert_names(slo: Slo) -> tuple[str, str]:
    return f"{slo.alert_name}FastBurn", f"{slo.alert_name}SlowBurn"


def alert_names() -> list[str]:
    return [name for slo in SLOS for name in burn_alert_names(slo)] + list(OTHER_ALERTS)


def rule_groups() -> dict:
    groups = [{"name": f"anchang-sli-{slo.key}", "rules": _recording(slo)} for slo in SLOS]
    groups.append({"name": "anchang-rpc-latency", "rules": [
        {"record": f"{level}:anchang_rpc_duration_seconds:p{q}_5m",
         "expr": f"histogram_quantile(0.{q}, sum by ({by}, le) (rate(anchang_rpc_duration_seconds_bucket[5m])))"}
        for level, by in (("service_method", "service, method"), ("service", "service")) for q in (50, 95, 99)]})
    burn = []
    for slo in SLOS:
        fast, slow = burn_alert_names(slo)
        burn += [_burn(slo, fast, "page", PAGE), _burn(slo, slow, "ticket", TICKET)]
    groups.append({"name": "anchang-slo-burn", "rules": burn})
    groups.append({"name": "anchang-alerts", "rules": [_other(name) for name in OTHER_ALERTS]})
    return {"groups": groups}
