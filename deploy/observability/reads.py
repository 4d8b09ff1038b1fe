"""What the committed Prometheus rules and Grafana dashboards read of each metric: for every series
their PromQL selects, the label names the expressions use on it and the values they ask for.

A label is *used* on a series when it is
- matched in the series' selector (``x{outcome="refused"}``; ``__name__`` aside),
- grouped on by an aggregation around it (``sum by (service, le) (...)``),
- matched on by a binary operator around it (``on (...)`` on both sides; ``group_left (...)``
  labels on the "one" side),
- shown by the panel's legend (``{{priority}}``) or the alert's summary (``$labels.role``), which
  print labels of the result and so of every series in the expression.
``without``/``ignoring`` labels drop a label where present and ask for none. Equality matchers
(``le="900.0"``, ``service="ticket"``) also record the value asked for.

A series that a recording rule writes is not exported by anyone: what is read of it is carried to
the series of that rule's own expression (``{{priority}}`` on ``priority:…:ratio_rate30d`` asks
``priority`` of the business histograms). ``rabbitmq_*`` (RabbitMQ's ``rabbitmq_prometheus``
plugin) and ``up`` (Prometheus's own) are not Anchang's and are left out (``NOT_OURS``).

The PromQL is parsed (promql-parser), not matched with patterns; Grafana's ``$__rate_interval``,
``$__interval`` and ``$__range`` are read as ``5m``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import promql_parser as promql
import yaml

RULES_DIR = Path("deploy/prometheus/rules")
DASHBOARDS_DIR = Path("deploy/grafana/dashboards")
NOT_OURS = re.compile(r"^(rabbitmq_.*|up)$")
GRAFANA_RANGES = re.compile(r"\$__(rate_interval|interval|range)\b")
LEGEND_LABEL = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TEMPLATE_LABEL = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Read:
    """What the expressions read of one series: label names, and per label the values asked for."""

    labels: set[str] = field(default_factory=set)
    values: dict[str, set[str]] = field(default_factory=dict)
    #: the alerts and panels that read it (directly or through a recorded series)
    readers: set[str] = field(default_factory=set)

    def add(self, labels: Iterable[str], values: dict[str, set[str]], reader: str) -> None:
        self.labels |= set(labels)
        self.readers.add(reader)
        for label, asked in values.items():
            self.values.setdefault(label, set()).update(asked)


@dataclass(frozen=True)
class Use:
    """One selector of an expression: its series name and what the expression uses on it."""

    name: str
    labels: frozenset[str]
    values: tuple[tuple[str, str], ...]  # (label, value) of its equality matchers
    reader: str = ""  # the alert, panel or recording rule whose expression it is


def parse(expr: str):
    return promql.parse(GRAFANA_RANGES.sub("5m", expr))


def uses(expr: str, shown: Iterable[str] = (), reader: str = "") -> list[Use]:
    """The selectors of ``expr`` with the labels used on each; ``shown``: labels a legend or a
    summary prints from the result."""
    found: list[Use] = []
    _visit(parse(expr), frozenset(shown), found)
    return [replace(use, reader=reader) for use in found]


def _visit(node, around: frozenset[str], found: list[Use]) -> None:
    if isinstance(node, promql.VectorSelector):
        matchers = [*node.matchers.matchers, *(m for group in node.matchers.or_matchers for m in group)]
        if node.name is None:  # {__name__="x"}: the name is a matcher
            names = [m.value for m in matchers if m.name == "__name__" and m.op == promql.MatchOp.Equal]
        else:
            names = [node.name]
        own = [m for m in matchers if m.name != "__name__"]
        values = tuple((m.name, m.value) for m in own if m.op == promql.MatchOp.Equal)
        found += [Use(name, around | {m.name for m in own}, values) for name in names]
    elif isinstance(node, promql.MatrixSelector):
        _visit(node.vector_selector, around, found)
    elif isinstance(node, promql.AggregateExpr):
        modifier = node.modifier
        grouped = set(modifier.labels) if modifier is not None and modifier.type == promql.AggModifierType.By else set()
        _visit(node.expr, around | grouped, found)
        if node.param is not None:
            _visit(node.param, around, found)
    elif isinstance(node, promql.BinaryExpr):
        lhs, rhs = around, around
        modifier = node.modifier
        if modifier is not None:
            matching = modifier.matching
            if matching is not None and matching.type == promql.LabelModifierType.Include:
                lhs, rhs = lhs | set(matching.labels), rhs | set(matching.labels)
            grouped = set(modifier.group_labels or ())
            if modifier.card == promql.VectorMatchCardinality.ManyToOne:  # group_left: from the right
                rhs = rhs | grouped
            elif modifier.card == promql.VectorMatchCardinality.OneToMany:  # group_right: from the left
                lhs = lhs | grouped
        _visit(node.lhs, lhs, found)
        _visit(node.rhs, rhs, found)
    elif isinstance(node, promql.Call):
        for argument in node.args:
            _visit(argument, around, found)
    elif isinstance(node, (promql.ParenExpr, promql.UnaryExpr, promql.SubqueryExpr)):
        _visit(node.expr, around, found)
    # number and string literals read no series


def rules(root: Path = Path(".")) -> list[dict]:
    return [rule for path in sorted((root / RULES_DIR).glob("*.yml"))
            for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def expressions(root: Path = Path(".")) -> list[tuple[str, str, set[str]]]:
    """``(where, expr, labels shown)`` of every alert and every dashboard target (the recording
    rules' own expressions are read by ``metrics_read``)."""
    found = []
    for rule in rules(root):
        if "alert" in rule:
            shown = {label for text in rule.get("annotations", {}).values()
                     for label in TEMPLATE_LABEL.findall(str(text))}
            found.append((f"alert {rule['alert']}", rule["expr"], shown))
    for path in sorted((root / DASHBOARDS_DIR).glob("*.json")):
        for panel in json.loads(path.read_text()).get("panels", []):
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append((f"{path.name}: {panel.get('title')}", target["expr"],
                                  set(LEGEND_LABEL.findall(target.get("legendFormat") or ""))))
    return found


def metrics_read(root: Path = Path(".")) -> dict[str, Read]:
    """Series name (as selected: ``…_bucket``, ``…_count``, ``…_total``) -> what the rules and
    dashboards under ``root`` read of it, for every series Anchang's services must export."""
    recorded = {rule["record"]: rule["expr"] for rule in rules(root) if "record" in rule}
    reads: dict[str, Read] = {}
    pending = [use for reader, expr, shown in expressions(root) for use in uses(expr, shown, reader)]
    pending += [use for name, expr in recorded.items() for use in uses(expr, reader=f"record {name}")]
    carried = set()
    while pending:
        use = pending.pop()
        if use.name in recorded:  # carried to the series the rule reads, once per distinct use
            if use not in carried:
                carried.add(use)
                pending += [replace(u, values=u.values + use.values)
                            for u in uses(recorded[use.name], use.labels, use.reader)]
            continue
        if NOT_OURS.match(use.name):
            continue
        values: dict[str, set[str]] = {}
        for label, value in use.values:
            values.setdefault(label, set()).add(value)
        reads.setdefault(use.name, Read()).add(use.labels, values, use.reader)
    return reads
