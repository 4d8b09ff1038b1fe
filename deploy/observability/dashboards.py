"""Anchang's Grafana dashboards as code (grafana-foundation-sdk), written to
deploy/grafana/dashboards/ by ``python -m deploy.observability``.

An SLA overview for the customer-service managers and SREs, one dashboard per service (rate,
errors, latency quantiles per method, error budget left, burn rates), RabbitMQ's queues (its
``rabbitmq_prometheus`` plugin) and Vault with the PII reveals.
"""
from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from deploy.observability.slos import PERIOD, SLOS, Slo
from deploy.ports import SERVICES

DATASOURCE = DataSourceRef(type_val="prometheus", uid="anchang-prometheus")
FULL, HALF, THIRD = 24, 12, 8
BUSINESS = {"first response": "anchang_ticket_first_response_business_seconds",
            "resolution": "anchang_ticket_resolution_business_seconds"}


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend)


def series(title: str, unit: str, *queries: prometheus.Dataquery, width: int = HALF,
           description: str = "") -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).span(width).height(8)
    if description:
        panel = panel.description(description)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def figure(title: str, unit: str, expr: str, legend: str = "", width: int = THIRD,
           decimals: int | None = None) -> stat.Panel:
    panel = (stat.Panel().title(title).unit(unit).datasource(DATASOURCE).span(width).height(5)
             .with_target(query(expr, legend)))
    return panel.decimals(decimals) if decimals is not None else panel


def build(board: dashboard.Dashboard) -> dict:
    import json
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))


def _board(uid: str, title: str) -> dashboard.Dashboard:
    return (dashboard.Dashboard(title).uid(uid).tags(["anchang"]).refresh("30s").time("now-6h", "now")
            .timezone("browser").editable())


def budget_left(slo: Slo, selector: str = "") -> str:
    return f"1 - {slo.series(PERIOD)}{selector} / {slo.budget}"


def sla_overview() -> dict:
    board = _board("anchang-sla", "Anchang: customer SLA overview")
    ticket_slos = [s for s in SLOS if s.key.startswith("ticket-")]
    for slo in ticket_slos:
        board = board.with_panel(figure(
            f"{slo.title}, {PERIOD}", "percentunit", f"1 - {slo.series(PERIOD)}", "{{priority}}",
            width=HALF, decimals=1))
    for what, metric in BUSINESS.items():
        board = board.with_panel(series(
            f"Median and p90 {what} (business time) by category and priority", "s",
            query(f"histogram_quantile(0.5, sum by (category, priority, le) (rate({metric}_bucket[$__rate_interval])))",
                  "p50 {{category}}/{{priority}}"),
            query(f"histogram_quantile(0.9, sum by (category, priority, le) (rate({metric}_bucket[$__rate_interval])))",
                  "p90 {{category}}/{{priority}}")))
    board = (board
             .with_panel(series("SLA breaches", "short",
                                query("sum by (kind, priority) (increase(anchang_ticket_sla_breaches_total[1h]))",
                                      "{{kind}} {{priority}}"),
                                width=THIRD, description="deadlines missed per hour"))
             .with_panel(series("Tickets at risk (past 80 % of a budget)", "short",
                                query("sum by (kind) (anchang_tickets_at_risk)", "{{kind}}"), width=THIRD))
             .with_panel(series("Open tickets by state", "short",
                                query("sum by (state) (anchang_tickets_open)", "{{state}}"), width=THIRD))
             .with_panel(series("Mean satisfaction (1..5) by category", "short",
                                query("sum by (category) (rate(anchang_ticket_satisfaction_score_sum[1d]))"
                                      " / sum by (category) (rate(anchang_ticket_satisfaction_score_count[1d]))",
                                      "{{category}}"), width=FULL)))
    return build(board)


def service_dashboard(service: str) -> dict:
    sel = f'service="{service}"'
    board = _board(f"anchang-{service.replace('_', '-')}", f"Anchang: {service}")
    for slo in (s for s in SLOS if s.by == "service"):
        board = board.with_panel(figure(f"{slo.title}: error budget left ({PERIOD})", "percentunit",
                                        budget_left(slo, f"{{{sel}}}"), width=6, decimals=1))
    rate = f"sum by (method) (rate(anchang_rpc_duration_seconds_count{{{sel}}}[$__rate_interval]))"
    board = (board
             .with_panel(series("Calls per second by method", "reqps", query(rate, "{{method}}"), width=HALF))
             .with_panel(series(
                 "Errors per second by method and outcome", "reqps",
                 query(f'sum by (method, outcome) (rate(anchang_rpc_duration_seconds_count{{{sel}, outcome!="ok"}}'
                       "[$__rate_interval]))", "{{method}} {{outcome}}"), width=HALF)))
    for q in (50, 95, 99):
        board = board.with_panel(series(
            f"p{q} latency by method", "s",
            query(f"histogram_quantile(0.{q}, sum by (method, le) "
                  f"(rate(anchang_rpc_duration_seconds_bucket{{{sel}}}[$__rate_interval])))", "{{method}}"),
            width=THIRD))
    for slo in (s for s in SLOS if s.by == "service"):
        board = board.with_panel(series(
            f"{slo.title}: burn rate", "short",
            *[query(f"{slo.series(w)}{{{sel}}} / {slo.budget}", f"{w}") for w in ("5m", "1h", "6h", "1d", "3d")],
            width=HALF, description="1 spends the 30-day budget in 30 days; the page fires at 14.4 (1 h) or 6 (6 h)"))
    board = board.with_panel(series(
        "Dependencies: p99 by dependency and outcome", "s",
        query(f"histogram_quantile(0.99, sum by (dependency, outcome, le) "
              f"(rate(anchang_dependency_duration_seconds_bucket{{{sel}}}[$__rate_interval])))",
              "{{dependency}} {{outcome}}"), width=FULL))
    return build(board)


def rabbitmq() -> dict:
    board = (_board("anchang-rabbitmq", "Anchang: RabbitMQ queues")
             .with_panel(series("Messages ready by queue", "short",
                                query("sum by (queue) (rabbitmq_queue_messages_ready)", "{{queue}}")))
             .with_panel(series("Messages unacknowledged by queue", "short",
                                query("sum by (queue) (rabbitmq_queue_messages_unacked)", "{{queue}}")))
             .with_panel(series("Consumers by queue", "short",
                                query("sum by (queue) (rabbitmq_queue_consumers)", "{{queue}}")))
             .with_panel(series("Published and delivered per second", "reqps",
                                query("sum(rate(rabbitmq_global_messages_received_total[$__rate_interval]))",
                                      "published"),
                                query("sum(rate(rabbitmq_global_messages_delivered_total[$__rate_interval]))",
                                      "delivered"))))
    return build(board)


def vault_and_pii() -> dict:
    board = (_board("anchang-vault-pii", "Anchang: Vault operations and PII reveals")
             .with_panel(series("Vault operations per second by operation and outcome", "reqps",
                                query("sum by (operation, outcome) (rate(anchang_vault_operations_total"
                                      "[$__rate_interval]))", "{{operation}} {{outcome}}")))
             .with_panel(series("Vault call p99 by service", "s",
                                query('histogram_quantile(0.99, sum by (service, le) (rate('
                                      'anchang_dependency_duration_seconds_bucket{dependency="vault"}'
                                      "[$__rate_interval])))", "{{service}}")))
             .with_panel(series("PII reveals per hour by outcome and role", "short",
                                query("sum by (outcome, role) (increase(anchang_pii_reveals_total[1h]))",
                                      "{{outcome}} {{role}}")))
             .with_panel(series("Reveal anomalies (over the hourly limit)", "short",
                                query("sum(increase(anchang_pii_reveal_anomalies_total[1h]))", "anomalies"))))
    return build(board)


def dashboards() -> dict[str, dict]:
    """file name -> dashboard JSON model"""
    boards = {"anchang-sla.json": sla_overview(), "anchang-rabbitmq.json": rabbitmq(),
              "anchang-vault-pii.json": vault_and_pii()}
    for service in SERVICES:
        boards[f"anchang-service-{service.replace('_', '-')}.json"] = service_dashboard(service)
    return boards
