"""``python -m deploy.local start|stop|status``: what ``make run``, ``make stop``, ``make status`` do."""

from __future__ import annotations

import os
import sys

from deploy.local import broker, prometheus, services, vault
from deploy.local.files import LOGS, RUN, VAULT_DIR, StackError, make_private, say
from deploy.local.processes import ROOT
from deploy.ports import SERVICE_PORTS, SERVICES


def start() -> int:
    make_private(RUN)
    uri = broker.ensure_broker()
    setup = vault.ensure_vault()
    admin_password, password_where = services.ensure_admin_password()
    services.run_migrations(setup)
    services.run_seeds(setup, admin_password)
    procs = {service: services.start(service, setup) for service in SERVICES}
    say(f"waiting for every service to answer /health/ready (up to {services.READY_TIMEOUT} s)...")
    services.wait_ready(procs)
    queue_metrics = broker.ensure_prometheus_metrics()
    print_summary(uri, setup, password_where, prometheus.start(), queue_metrics)
    return 0


def print_summary(uri: str, setup: vault.VaultSetup, password_where: str, prometheus_line: str,
                  queue_metrics_line: str) -> None:
    say(f"\nAnchang is running. RPC and events of every service go over AMQP at {broker.mask_uri(uri)}\n")
    say(f"  {'component':13} {'RPC':30} {'metrics':32} health")
    for service, port in SERVICE_PORTS.items():
        base = f"http://127.0.0.1:{port}"
        say(f"  {service:13} {f'nameko service {service!r}':30} {base + '/metrics':32} {base}/health/ready")
    say(f"  {'vault':13} {setup.addr:30} {'':32} {setup.addr}/v1/sys/health")
    say(f"  {'prometheus':13} {prometheus_line}")
    say(f"  {'rabbitmq':13} {'queue metrics':30} {queue_metrics_line}")
    say(f"\nAdmin account: `admin`, password in {password_where}")
    if setup.local:
        say(f"Vault root token: {VAULT_DIR / 'init.json'} (local only)")
    say(f"Data: {RUN}/   Logs: `make logs` ({LOGS}/)   Status: `make status`   Stop: `make stop`")


def stop() -> int:
    services.stop_all()
    prometheus.stop()
    vault.stop()
    say(f"Data stays under {RUN}/.")
    return 0


def status() -> int:
    """One line per component; exit status 0 when the broker, Vault and services answer, else 3."""
    broker_ok, line = broker.status_line()
    say(f"{'rabbitmq':13} {line}")
    vault_ok, line = vault.status_line()
    say(f"{'vault':13} {line}")
    services_ok = True
    for service in SERVICES:
        ready, line = services.status_line(service)
        services_ok = services_ok and ready
        say(f"{service:13} {line}")
    say(f"{'prometheus':13} {prometheus.status_line()}")
    return 0 if broker_ok and vault_ok and services_ok else 3


COMMANDS = {"start": start, "stop": stop, "status": status}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print("usage: python -m deploy.local {start|stop|status}", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    try:
        return COMMANDS[argv[0]]()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
