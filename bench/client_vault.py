"""client_vault (docs/architecture.md#performance), two figures in one run:

- RPC overhead: ``client_vault.get_client`` throughput with 10 concurrent callers against the bare
  nameko echo service on the same broker (``bench.rpc_overhead``'s machinery);
- Vault batching: ``import_clients`` of 10,000 rows (4 PII fields each) against Vault's own
  batch-encrypt rate measured in the same run with the same batch size and derived contexts. The
  figure is the ratio of fields encrypted per second through the import to Vault's own rate
  (target: at least 0.5)."""
import time
import uuid

from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from anchang_common.vault import VaultClient
from bench.rpc_overhead import CALLERS, EchoService, throughput
from bench.stack import PG_URL, bench_stack
from client_vault.crypto import PII_KEY, RECORDS_PER_CALL, field_context
from client_vault.service import Service as ClientVaultService
from staff.bootstrap import seed_admin
from staff.service import Service as StaffService

PASSWORD = "bench-password-42"
IMPORT_ROWS, QUICK_IMPORT_ROWS = 10_000, 200
FIELDS = ("name", "phone", "id_number", "address")


def row(n):
    return {"name": f"客户{n}", "phone": f"139{n:08d}", "id_number": "110101199003071233",
            "address": f"北京市朝阳区建国路{n}号", "source": "import",
            "consent": {"purpose": "service", "granted_at": "2026-01-01T00:00:00Z"}}


def vault_encrypt_rate(vault, rows):
    """Fields per second Vault itself encrypts, in calls of the size ``import_clients`` makes."""
    items = [(row(n)[field].encode(), field_context(uuid.uuid4().hex, field)) for n in range(rows) for field in FIELDS]
    per_call = RECORDS_PER_CALL * len(FIELDS)
    started = time.perf_counter()
    for start in range(0, len(items), per_call):
        vault.encrypt_batch(PII_KEY, items[start:start + per_call])
    return len(items) / (time.perf_counter() - started)


def run(calls_per_caller=300, quick=False):
    for dialect in ("sqlite", "postgresql") if PG_URL and not quick else ("sqlite",):
        yield from measure(dialect, calls_per_caller, QUICK_IMPORT_ROWS if quick else IMPORT_ROWS)


def measure(dialect, calls_per_caller, import_rows):
    with bench_stack(dialect) as (start, amqp_uri):
        start(EchoService, "ticket")
        staff = start(StaffService, "staff")
        vault_service = start(ClientVaultService, "client_vault")
        seed_admin(staff.config["DATABASE_URL"], PASSWORD)
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
            token = proxy.staff.login("admin", PASSWORD)["token"]
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data={CONTEXT_KEY: f"Bearer {token}"},
                             timeout=600) as proxy:
            client_id = proxy.client_vault.register_client(row(99_999_999))["client_id"]
            echo_rate = throughput(amqp_uri, lambda p: p.echo.echo("x"), calls_per_caller)
            get_rate = throughput(amqp_uri, lambda p: p.client_vault.get_client(client_id), calls_per_caller, token)
            vault = VaultClient(vault_service.config["VAULT"], "client_vault")
            vault_rate = vault_encrypt_rate(vault, import_rows)
            started = time.perf_counter()
            result = proxy.client_vault.import_clients([row(n) for n in range(import_rows)])
            import_seconds = time.perf_counter() - started
    assert result["created"] == import_rows, result
    fields_rate = import_rows * len(FIELDS) / import_seconds
    yield {"figure": "rpc_overhead", "method": "client_vault.get_client", "database": dialect, "callers": CALLERS,
           "calls_per_second": round(get_rate, 1), "echo_calls_per_second": round(echo_rate, 1),
           "ratio_to_echo": round(get_rate / echo_rate, 3)}
    yield {"figure": "vault_batching", "method": "client_vault.import_clients", "database": dialect,
           "rows": import_rows, "rows_per_second": round(import_rows / import_seconds, 1),
           "fields_per_second": round(fields_rate, 1), "vault_encrypt_fields_per_second": round(vault_rate, 1),
           "ratio_to_vault": round(fields_rate / vault_rate, 3), "target_ratio": 0.5}
