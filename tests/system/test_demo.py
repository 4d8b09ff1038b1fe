"""``make demo`` as a new user meets it: a fresh checkout, ``make run``, then ``make demo``. It finishes
in under two minutes, and the SLA report and the ranking it prints are what ``ticket.sla_report`` and
``appraisal`` answer when asked directly. (It uses the local stack's fixed ports, like
``test_local_stack.py``.)"""
import os
import subprocess
import sys
import time
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from tests.integration.cli_tables import asked, assert_demo_tables_agree, number, table
from tests.system import test_local_stack

fresh_checkout = test_local_stack.fresh_checkout  # the fixture, used by name
#: the venv running these tests: ``make demo`` uses it instead of building one in the copy
VENV = Path(sys.executable).parent.parent
DEMO_BUDGET = 120


def test_make_demo_on_a_fresh_stack(fresh_checkout, rabbit_config):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANCHANG_ADMIN_PASSWORD", "VAULT_ADDR", "VAULT_TOKEN", "DATABASE_URL")}
    env["AMQP_URI"] = rabbit_config["AMQP_URI"]
    try:
        test_local_stack.stack(fresh_checkout, env, "start")
        started = time.monotonic()
        demo = subprocess.run(["make", "demo", f"VENV={VENV}", "-o", f"{VENV}/.installed"], cwd=fresh_checkout,
                              env=env, capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - started
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        assert seconds < DEMO_BUDGET, f"make demo took {seconds:.0f} s"
        assert "Traceback" not in demo.stdout + demo.stderr
        printed = demo.stdout
        since, until, cycle_code = asked(printed)

        password = (fresh_checkout / ".run" / "admin-password").read_text().strip()
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}) as rpc:
            token = rpc.staff.login("admin", password)["token"]
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, context_data={"authorization": f"Bearer {token}"}) as rpc:
            report = rpc.ticket.sla_report(since, until, "agent")
            names = {m["staff_id"]: m["username"] for m in rpc.staff.list_staff()}
            cycle = rpc.appraisal.get_cycle(cycle_code)
            cards = {s: rpc.appraisal.get_scorecard(cycle_code, s) for s in cycle["staff_ids"]}
        assert cycle["status"] == "finalized"
        assert sum(g["tickets"] for g in report["groups"]) == 300
        assert sum(g["breaches"] for g in report["groups"]) > 0, "some urgent repairs breached"
        assert_demo_tables_agree(printed, report, names, cards)
        rejected = table(printed, "Rejected rows of the imported CSV")
        assert rejected and all(number(row[0]) > 1 for row in rejected)
    finally:
        subprocess.run([sys.executable, "-m", "deploy.local", "stop"], cwd=fresh_checkout, env=env,
                       capture_output=True, timeout=120)
