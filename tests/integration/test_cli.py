"""The ``anchang`` command line over the real stack (four real services on the test's vhost, real
OpenBao, each database dialect): logging in, tables, ``--json``, and the error paths a user meets —
a wrong password, an expired session, a forbidden reveal, the stack not running — each shown as its
type and message with a hint, never a stack trace."""
import json
import os
import stat
from datetime import UTC, datetime, timedelta

from nameko.standalone.rpc import ClusterRpcProxy

from anchang_cli import session
from anchang_cli.errors import EXIT_ERROR, EXIT_SESSION, EXIT_STACK
from anchang_cli.rpc import stack_name
from deploy.local.openbao import free_port
from tests.integration import cli_fixtures
from tests.integration.accounts import ADMIN_PASSWORD
from tests.integration.cli_fixtures import Anchang, failed
from tests.integration.cli_tables import number, table
from tests.integration.test_staff import PASSWORD, hire_and_activate

four_services, anchang = cli_fixtures.four_services, cli_fixtures.anchang  # the fixtures, used by name


def admin_rpc(harness):
    with harness.rpc() as rpc:
        return rpc.staff.login("admin", ADMIN_PASSWORD)["token"]


def test_login_whoami_logout_and_a_wrong_password(anchang, dialect):
    output = failed(anchang.run("login", "admin", "--password-stdin", input="not-the-password\n"),
                    EXIT_ERROR, "Unauthenticated")
    assert "wrong username or password" in output and "check the username and password" in output
    assert not anchang.config_dir.exists()

    assert "as admin (admin)" in anchang.login("admin", ADMIN_PASSWORD).output
    sessions = anchang.config_dir / session.SESSIONS_FILE
    assert stat.S_IMODE(os.stat(sessions).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(anchang.config_dir).st_mode) == 0o700
    assert ADMIN_PASSWORD not in sessions.read_text()
    me = json.loads(anchang.run("whoami", "--json").stdout)
    assert (me["username"], me["roles"], me["status"]) == ("admin", ["admin"], "active")

    assert "Logged out" in anchang.run("logout").output
    failed(anchang.run("whoami"), EXIT_SESSION, "NotLoggedIn")


def test_an_expired_session_says_log_in_again(anchang, dialect):
    anchang.login("admin", ADMIN_PASSWORD)
    stored = anchang.stored()
    for data in stored.values():
        data["expires_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    (anchang.config_dir / session.SESSIONS_FILE).write_text(json.dumps(stored))
    output = failed(anchang.run("staff", "list"), EXIT_SESSION, "SessionExpired")
    assert "log in again: `anchang login`" in output


def test_a_revoked_token_is_unauthenticated_with_a_hint(anchang, dialect):
    anchang.login("admin", ADMIN_PASSWORD)
    with anchang_rpc(anchang) as rpc:
        rpc.staff.logout()  # every token of the admin stops working, the CLI's included
    output = failed(anchang.run("staff", "list"), EXIT_ERROR, "Unauthenticated")
    assert "log in again" in output


def anchang_rpc(cli):
    """A proxy carrying the token the CLI stored."""
    token = cli.stored()[stack_name(cli.env["AMQP_URI"])]["token"]
    return ClusterRpcProxy({"AMQP_URI": cli.env["AMQP_URI"]}, context_data={"authorization": f"Bearer {token}"})


def test_staff_as_a_table_and_as_json(anchang, four_services, dialect):
    admin = admin_rpc(four_services)
    hire_and_activate(four_services, admin, "li.agent", ["agent"], ["repair"])
    anchang.login("admin", ADMIN_PASSWORD)
    listed = anchang.run("staff", "list")
    assert listed.exit_code == 0, listed.output
    rows = table(listed.output, "Staff (2)")
    assert [(r[0], r[2], r[3]) for r in rows] == [("admin", "active", "admin"), ("li.agent", "active", "agent")]
    as_json = json.loads(anchang.run("staff", "list", "--role", "agent", "--json").stdout)
    with four_services.rpc(admin) as rpc:
        assert as_json == rpc.staff.list_staff(role="agent")
    shown = anchang.run("staff", "show", "li.agent")
    assert "li.agent" in shown.output and "acknowledged until" in shown.output
    failed(anchang.run("staff", "show", "nobody.here"), EXIT_ERROR, "BadInput")


def test_clients_register_find_import_and_reveal(anchang, four_services, tmp_path, dialect):
    admin = admin_rpc(four_services)
    hire_and_activate(four_services, admin, "zhao.super", ["supervisor"], code="lead")
    anchang.login("admin", ADMIN_PASSWORD)
    registered = anchang.run("client", "register", "--name", "王小明", "--phone", "138 0013 8000", "--json")
    client_id = json.loads(registered.stdout)["client_id"]
    found = anchang.run("client", "find", "13800138000")
    assert "138****8000" in found.output and "王*" in found.output and "王小明" not in found.output

    csv = tmp_path / "clients.csv"
    csv.write_text("name,phone,address\n李雷,13900139000,北京市朝阳区建国路1号\n韩梅梅,010-65521234,\n,13700137000,\n"
                   "王小明,13800138000,\n", encoding="utf-8")
    imported = anchang.run("client", "import", str(csv), "--consent", "customer_service")
    assert imported.exit_code == 0, imported.output
    assert [(r[0], r[1]) for r in table(imported.output, "Rejected rows")] == [("3", "phone"), ("4", "name")]
    report = json.loads(anchang.run("client", "import", str(csv), "--consent", "customer_service", "--json").stdout)
    assert (report["created"], report["existing"], [r["line"] for r in report["rejected"]]) == (0, 2, [3, 4])

    # admin holds every right but revealing PII: refused, and the refusal is the service's
    output = failed(anchang.run("client", "reveal", client_id, "--purpose", "client_request"), EXIT_ERROR, "Forbidden")
    assert "王小明" not in output and "13800138000" not in output
    anchang.login("zhao.super", PASSWORD)
    revealed = anchang.run("client", "reveal", client_id, "--field", "phone", input="client_request\n")
    assert revealed.exit_code == 0, revealed.output
    assert "Purpose" in revealed.output and "+8613800138000" in revealed.output


def test_an_agent_without_a_ticket_of_the_client_may_not_reveal(anchang, four_services, dialect):
    admin = admin_rpc(four_services)
    hire_and_activate(four_services, admin, "sun.agent", ["agent"])
    with four_services.rpc(admin) as rpc:
        client_id = rpc.client_vault.register_client({
            "name": "周杰", "phone": "13600136000", "source": "walk_in",
            "consent": {"purpose": "customer_service", "granted_at": "2026-01-05T08:00:00+00:00"}})["client_id"]
    anchang.login("sun.agent", PASSWORD)
    output = failed(anchang.run("client", "reveal", client_id, "--purpose", "ticket_handling"), EXIT_ERROR,
                    "Forbidden")
    assert "周杰" not in output and "13600136000" not in output


def test_tickets_sla_report_and_appraisal_agree_with_the_services(anchang, four_services, dialect):
    admin = admin_rpc(four_services)
    agent_id = hire_and_activate(four_services, admin, "wu.agent", ["agent"], ["repair"])
    hire_and_activate(four_services, admin, "qian.super", ["supervisor"], code="lead")
    with four_services.rpc(admin) as rpc:
        client_id = rpc.client_vault.register_client({
            "name": "陈静", "phone": "13500135000", "source": "hotline",
            "consent": {"purpose": "customer_service", "granted_at": "2026-01-05T08:00:00+00:00"}})["client_id"]
    anchang.login("wu.agent", PASSWORD)
    opened = anchang.run("ticket", "open", client_id, "--category", "repair", "--priority", "high", "--subject",
                         "厨房水管漏水", "--description", "客户说厨房水管漏水", "--json")
    ticket_id = json.loads(opened.stdout)["ticket_id"]
    assert json.loads(opened.stdout)["assignee_id"] == agent_id
    mine = anchang.run("ticket", "list", "--mine")
    assert [(r[0], r[1], r[5]) for r in table(mine.output, "Tickets (1")] == [(ticket_id, "open", "wu.agent")]
    for args in (("respond", ticket_id, "师傅下午上门"), ("wait", ticket_id), ("resume", ticket_id),
                 ("resolve", ticket_id, "已更换水管")):
        assert anchang.run("ticket", *args).exit_code == 0
    assert anchang.run("ticket", "survey", ticket_id, "5").exit_code == 0
    shown = json.loads(anchang.run("ticket", "show", ticket_id, "--json").stdout)
    assert (shown["state"], shown["satisfaction_score"]) == ("resolved", 5)
    failed(anchang.run("ticket", "close", "no-such-ticket"), EXIT_ERROR, "NotFound")

    anchang.login("admin", ADMIN_PASSWORD)
    since, until = "2000-01-01", "2100-01-01T00:00:00+00:00"
    printed = anchang.run("sla", "report", "--since", since, "--until", until, "--by", "agent")
    with four_services.rpc(admin) as rpc:
        direct = rpc.ticket.sla_report("2000-01-01T00:00:00+00:00", until, "agent")
    assert json.loads(anchang.run("sla", "report", "--since", since, "--until", until, "--json").stdout) == direct
    [row] = table(printed.output, "SLA report by agent")
    group = direct["groups"][0]
    assert row[0] == "wu.agent"
    assert [number(c) for c in row[1:]] == [
        group["tickets"], group["resolved"], group["first_response"]["compliance_percent"],
        group["first_response"]["median_business_minutes"], group["first_response"]["p90_business_minutes"],
        group["resolution"]["compliance_percent"], group["resolution"]["median_business_minutes"],
        group["resolution"]["p90_business_minutes"], group["breaches"], group["mean_satisfaction"],
        group["satisfaction_responses"]]

    today = datetime.now(UTC).date()
    with four_services.rpc(admin) as rpc:
        rpc.appraisal.open_cycle({"code": "2026-Q1", "period_start": (today - timedelta(days=1)).isoformat(),
                                  "period_end": (today + timedelta(days=1)).isoformat()})
        rpc.appraisal.finalize_cycle("2026-Q1")
        card = rpc.appraisal.get_scorecard("2026-Q1", agent_id)
    ranking = anchang.run("appraisal", "ranking", "2026-q1")
    rows = {r[1]: r for r in table(ranking.output, "Appraisal 2026-Q1")}
    assert set(rows) == {"admin", "wu.agent", "qian.super"}
    assert (number(rows["wu.agent"][0]), number(rows["wu.agent"][2]), rows["wu.agent"][3]) == (
        card["rank"], card["final_score"], card["grade"])
    assert json.loads(anchang.run("appraisal", "scorecard", "2026-Q1", "wu.agent", "--json").stdout) == card


def test_the_stack_not_running(rabbit_config, tmp_path):
    """Nothing listening on the broker's port, and a broker without the services: "run `make run`"."""
    nothing = Anchang(f"amqp://guest:guest@127.0.0.1:{free_port()}/", tmp_path)
    output = failed(nothing.run("login", "admin", "--password-stdin", input="x\n"), EXIT_STACK, "StackNotRunning")
    assert "cannot reach RabbitMQ" in output and "the stack is not running: run `make run`" in output

    no_services = Anchang(rabbit_config["AMQP_URI"], tmp_path)
    output = failed(no_services.run("login", "admin", "--password-stdin", input="x\n"), EXIT_STACK,
                    "StackNotRunning")
    assert "no `staff` service is running" in output and "run `make run`" in output
