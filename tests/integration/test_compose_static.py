"""Static checks of the container setup: docker-compose.yml, the Dockerfile, Prometheus and Grafana.

No Docker engine is needed: the files are parsed and checked against each other and against each
service's config.yaml. `docker compose config` and promtool are run where they are installed.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.integration.container_files import COMPOSE_FILE, DOCKERFILE, REPO, dockerfile_instructions

PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
GRAFANA_DIR = REPO / "deploy" / "grafana"

OUR_SERVICES = ("staff", "client_vault", "ticket", "appraisal")
#: docs/configuration.md: where each service's metrics and health endpoints are published on the host
HOST_PORTS = {"staff": 8001, "client_vault": 8002, "ticket": 8003, "appraisal": 8004}
#: config.yaml variables whose defaults (127.0.0.1 addresses, SQLite under .run/, per-service
#: ports) are wrong in a container
CONTAINER_REQUIRED = ("AMQP_URI", "DATABASE_URL", "VAULT_ADDR", "WEB_SERVER_ADDRESS")
#: one Vault login method must be configured: a token, Kubernetes auth or AppRole
VAULT_CREDENTIALS = ("VAULT_TOKEN", "VAULT_ROLE", "VAULT_ROLE_ID")
CONFIG_VARIABLE = re.compile(r"\$\{([A-Z_]+)(?::[^}]*)?\}")
CONFIG_VARIABLE_WITHOUT_DEFAULT = re.compile(r"\$\{([A-Z_]+)\}")
#: compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}
COMPOSE_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")
PLACEHOLDER = "required-from-the-host"


def interpolate(value):
    """``value`` as compose would make it with an empty host environment (required ones filled in)."""
    def replace(match):
        operator, argument = match.group(2), match.group(3)
        if operator and operator.endswith("-"):
            return argument
        if operator and operator.endswith("?"):
            return PLACEHOLDER
        return ""
    return COMPOSE_VARIABLE.sub(replace, str(value)).replace("$$", "$")


def environment(service):
    """A service's environment as a dict, list form or map form, interpolated."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {name: None if value is None else interpolate(value) for name, value in env.items()}


def depends_on(service):
    targets = service.get("depends_on") or {}
    return list(targets) if isinstance(targets, (list, dict)) else []


def port_mappings(service):
    """``(host_ip, host_port or None, container_port)`` of each published port of a service."""
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            published = port.get("published")
            yield (port.get("host_ip", ""), int(published) if published else None, int(port["target"]))
            continue
        spec = interpolate(port).split("/")[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 1:
            yield ("", None, int(parts[0]))
        elif len(parts) == 2:
            yield ("", int(parts[0]), int(parts[1]))
        else:
            yield (parts[0], int(parts[1]), int(parts[2]))


def config_variables(service_name):
    text = (REPO / "services" / service_name / "config.yaml").read_text()
    return set(CONFIG_VARIABLE.findall(text)), set(CONFIG_VARIABLE_WITHOUT_DEFAULT.findall(text))


def port_of_address(address):
    return int(address.rpartition(":")[2])


def final_stage(instructions):
    start = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[start:]


# --- docker-compose.yml ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_each_service_is_built_from_the_dockerfile_with_its_service_arg(services, name):
    build = services[name]["build"]
    assert isinstance(build, dict), f"{name}: build needs args, so the long syntax"
    context = REPO / build.get("context", ".")
    assert context.resolve() == REPO
    assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
    args = build.get("args") or {}
    if isinstance(args, list):
        args = dict(item.split("=", 1) for item in args)
    assert args.get("SERVICE") == name


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_config_variables_wrong_in_a_container_are_set(services, name):
    read, without_default = config_variables(name)
    env = environment(services[name])
    assert set(CONTAINER_REQUIRED) <= read, f"services/{name}/config.yaml no longer reads them all"
    for variable in sorted(set(CONTAINER_REQUIRED) | without_default):
        assert env.get(variable), f"{name}: {variable} is not set in docker-compose.yml"
    assert any(env.get(variable) for variable in VAULT_CREDENTIALS if variable in read), (
        f"{name}: none of {', '.join(VAULT_CREDENTIALS)} is set: the service cannot log in to Vault")


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_each_service_has_a_database_of_its_own(services, name):
    url = make_url(environment(services[name])["DATABASE_URL"])
    assert url.get_backend_name() == "postgresql"
    assert url.database == name
    urls = {make_url(environment(services[other])["DATABASE_URL"]).database for other in OUR_SERVICES}
    assert len(urls) == len(OUR_SERVICES)


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_addresses_name_compose_services(services, name):
    env = environment(services[name])
    for variable in ("AMQP_URI", "DATABASE_URL", "VAULT_ADDR"):
        host = urlsplit(env[variable]).hostname
        assert host in services, f"{name}: {variable} names {host!r}, not a service of docker-compose.yml"


def test_depends_on_targets_exist(services):
    for name, service in services.items():
        for target in depends_on(service):
            assert target in services, f"{name} depends on {target!r}, which is not defined"
            assert target != name


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_each_service_waits_for_its_dependencies(services, name):
    conditions = {target: spec.get("condition") for target, spec in services[name]["depends_on"].items()}
    for target in ("rabbitmq", "postgres", "openbao"):
        assert conditions.get(target) == "service_healthy", f"{name} must wait for {target} to be healthy"
    assert conditions.get("migrate") == "service_completed_successfully"


def test_published_host_ports_are_unique(services):
    seen = {}
    for name, service in services.items():
        for _, host_port, _ in port_mappings(service):
            if host_port is None:
                continue
            assert host_port not in seen, f"host port {host_port}: {seen.get(host_port)} and {name}"
            seen[host_port] = name


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_container_port_matches_web_server_address(services, name):
    web_port = port_of_address(environment(services[name])["WEB_SERVER_ADDRESS"])
    mappings = list(port_mappings(services[name]))
    assert mappings, f"{name} publishes no port"
    for _, host_port, container_port in mappings:
        assert container_port == web_port
        assert host_port == HOST_PORTS[name]


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_one_shot_tasks_prepare_what_each_service_uses(services, name):
    """vault-bootstrap creates the token the service logs in with; migrate migrates its database."""
    env = environment(services[name])
    prefix = name.upper() + "_"
    assert f"{name}={env['VAULT_TOKEN']}" in provisioned_tokens(services)
    assert environment(services["migrate"])[prefix + "DATABASE_URL"] == env["DATABASE_URL"]
    tokens = {environment(services[other])["VAULT_TOKEN"] for other in OUR_SERVICES}
    assert len(tokens) == len(OUR_SERVICES), "each service needs a token of its own (its own policy)"


def provisioned_tokens(services):
    """The ``--token SERVICE=ID`` pairs vault-bootstrap passes to deploy.vault.provision."""
    command = services["vault-bootstrap"]["command"]
    return {command[i + 1] for i, word in enumerate(command) if word == "--token"}


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_each_service_talks_to_the_broker_as_its_own_user(services, name):
    """One broker user per service (deploy/rabbitmq/definitions.json), exchanges from the file."""
    env = environment(services[name])
    assert make_url_amqp(env["AMQP_URI"]) == name
    assert str(env["DECLARE_EVENT_EXCHANGES"]).lower() == "false"
    rabbitmq = services["rabbitmq"]
    assert rabbitmq["depends_on"]["rabbitmq-definitions"]["condition"] == "service_completed_successfully"
    assert "RABBITMQ_DEFAULT_USER" not in environment(rabbitmq)


def make_url_amqp(uri):
    from urllib.parse import urlsplit
    return urlsplit(uri).username


def test_migrate_is_valid_python(services):
    command = services["migrate"]["command"]
    assert command[:2] == ["python", "-c"]
    compile(interpolate(command[2]), "docker-compose.yml:migrate", "exec")


@pytest.mark.parametrize("task", ["openbao-init", "vault-bootstrap", "migrate"])
def test_one_shot_tasks_run_once_in_the_staff_image_without_building_one(services, task):
    """The one-shots reuse the staff service's image: no image of their own, never pulled."""
    one_shot = services[task]
    assert one_shot.get("restart") == "no"
    assert "build" not in one_shot, f"{task} would build an extra, identical image"
    assert one_shot["image"] == services["staff"]["image"]
    assert one_shot.get("pull_policy") == "never"


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_our_images_are_built_never_pulled(services, name):
    """anchang/<service>:dev must come from the Dockerfile, not from whoever owns that name on a registry."""
    assert services[name]["image"].startswith("anchang/")
    assert services[name].get("pull_policy") == "build"


@pytest.mark.parametrize("task", ["openbao-init", "vault-bootstrap"])
def test_vault_one_shots_run_scripts_from_the_mounted_deploy_folder(services, task):
    one_shot = services[task]
    assert "./deploy:/app/deploy:ro" in one_shot["volumes"]
    assert "/app" in environment(one_shot)["PYTHONPATH"].split(":")
    command = one_shot["command"]
    modules = [command[i + 1] for i, part in enumerate(command[:-1]) if part == "-m"]
    assert modules and all(module.startswith("deploy.") for module in modules)
    for module in modules:
        path = REPO / (module.replace(".", "/") + ".py")
        if module == "deploy.vault.provision" and not path.exists():
            pytest.xfail("deploy/vault/provision.py lands with the move of anchang_common.localvault")
        assert path.is_file(), f"{task} runs {module}, but {path.relative_to(REPO)} does not exist"


def test_vault_bootstrap_gets_the_root_token_from_the_init_volume_only(services):
    bootstrap = services["vault-bootstrap"]
    assert "VAULT_TOKEN" not in environment(bootstrap), "a root token in the compose file shows in docker inspect"
    assert bootstrap["command"][:3] == ["python", "-m", "deploy.compose.with_root_token"]
    assert bootstrap["command"][3:6] == ["python", "-m", "deploy.vault.provision"]
    assert {pair.split("=")[0] for pair in provisioned_tokens(services)} == set(OUR_SERVICES)
    init_file = environment(bootstrap)["ANCHANG_OPENBAO_INIT_FILE"]
    assert init_file == environment(services["openbao-init"])["ANCHANG_OPENBAO_INIT_FILE"]
    assert any(volume.endswith(":ro") and volume.split(":")[1] == str(Path(init_file).parent)
               for volume in bootstrap["volumes"])


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_postgres_init_script_creates_each_services_role_and_database(services, name):
    sql = (REPO / "deploy" / "postgres" / "init-databases.sql").read_text()
    url = make_url(environment(services[name])["DATABASE_URL"])
    assert re.search(rf"CREATE ROLE {url.username} LOGIN PASSWORD '{re.escape(url.password)}';", sql)
    assert re.search(rf"CREATE DATABASE {url.database} OWNER {url.username};", sql)
    mounts = services["postgres"]["volumes"]
    assert any(m.startswith("./deploy/postgres/init-databases.sql:/docker-entrypoint-initdb.d/") for m in mounts)


def test_no_required_host_variables(compose):
    """No `${VAR:?}`/`${VAR?}`: compose would refuse `down -v`, `logs` and `ps` without the variable."""
    text = COMPOSE_FILE.read_text()
    required = [match.group(0) for match in COMPOSE_VARIABLE.finditer(text)
                if match.group(2) and match.group(2).endswith("?")]
    assert not required, f"compose refuses every command unless these are set: {required}"


def test_only_migrate_receives_the_admin_password(services):
    """The bootstrap password goes to the one-shot that seeds `admin`, not to a long-running container."""
    holders = [name for name, service in services.items() if "ANCHANG_ADMIN_PASSWORD" in environment(service)]
    assert holders == ["migrate"]


def run_migrate_script(services, env):
    """Run migrate's script with ``env`` and no subprocesses (a started one fails the test)."""
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"migrate went on to run {args[0]!r}")
    script = interpolate(services["migrate"]["command"][2])
    namespace = {"__name__": "__main__"}
    old_run, old_environ = subprocess.run, dict(os.environ)
    subprocess.run = no_subprocess
    os.environ.clear()
    os.environ.update(env)
    try:
        exec(compile(script, "docker-compose.yml:migrate", "exec"), namespace)
    finally:
        subprocess.run = old_run
        os.environ.clear()
        os.environ.update(old_environ)


@pytest.mark.parametrize("password", [None, ""])
def test_migrate_fails_loudly_without_the_admin_password(services, password):
    env = {k: v for k, v in environment(services["migrate"]).items() if k != "ANCHANG_ADMIN_PASSWORD"}
    if password is not None:
        env["ANCHANG_ADMIN_PASSWORD"] = password
    with pytest.raises(SystemExit) as exited:
        run_migrate_script(services, env)
    assert "ANCHANG_ADMIN_PASSWORD is not set" in str(exited.value.code)


# --- Dockerfile ------------------------------------------------------------------------------------


def test_dockerfile_runs_as_non_root_with_an_exec_form_command():
    stage = final_stage(dockerfile_instructions())
    users = [arguments for keyword, arguments in stage if keyword == "USER"]
    assert users, "the runtime stage sets no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    commands = [(keyword, arguments) for keyword, arguments in stage if keyword in ("CMD", "ENTRYPOINT")]
    assert commands, "no CMD or ENTRYPOINT in the runtime stage"
    for keyword, arguments in commands:
        try:
            parsed = json.loads(arguments)
        except ValueError:
            pytest.fail(f"{keyword} {arguments} is shell form: the process would not get SIGTERM")
        assert isinstance(parsed, list) and parsed and all(isinstance(part, str) for part in parsed)


def test_dockerfile_serves_on_the_port_compose_expects(services):
    stage = final_stage(dockerfile_instructions())
    env_lines = " ".join(arguments for keyword, arguments in stage if keyword == "ENV")
    match = re.search(r"WEB_SERVER_ADDRESS=(\S+)", env_lines)
    assert match, "the image does not set WEB_SERVER_ADDRESS"
    port = port_of_address(match.group(1))
    assert [arguments for keyword, arguments in stage if keyword == "EXPOSE"] == [str(port)]
    for name in OUR_SERVICES:
        assert port_of_address(environment(services[name])["WEB_SERVER_ADDRESS"]) == port
    healthchecks = [arguments for keyword, arguments in stage if keyword == "HEALTHCHECK"]
    assert healthchecks and "/health/ready" in healthchecks[0]


def test_dockerfile_takes_the_service_as_a_build_arg():
    stage = final_stage(dockerfile_instructions())
    assert ("ARG", "SERVICE") in stage
    copies = [arguments for keyword, arguments in stage if keyword == "COPY"]
    assert any(arguments.startswith("services/${SERVICE}/config.yaml") for arguments in copies)


# --- Prometheus and Grafana ----------------------------------------------------------------------


def test_prometheus_scrapes_the_compose_services_on_their_web_port(services):
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    targets = [target for job in config["scrape_configs"]
               for static in job.get("static_configs", []) for target in static.get("targets", [])]
    assert targets
    scraped = set()
    for target in targets:
        host, _, port = target.rpartition(":")
        assert host in services, f"prometheus scrapes {host!r}, not a service of docker-compose.yml"
        if host in OUR_SERVICES:
            assert int(port) == port_of_address(environment(services[host])["WEB_SERVER_ADDRESS"])
        scraped.add(host)
    assert scraped >= set(OUR_SERVICES)
    for pattern in config["rule_files"]:
        assert list(PROMETHEUS_DIR.glob(pattern)), f"rule_files {pattern} matches nothing"


def test_compose_mounts_the_monitoring_config(services):
    assert any(volume.startswith("./deploy/prometheus:/etc/prometheus")
               for volume in services["prometheus"]["volumes"])
    grafana_volumes = services["grafana"]["volumes"]
    targets = [v.split(":")[1] for v in grafana_volumes]
    assert "/etc/grafana/provisioning" not in targets, "the mount would hide the image's own provisioning folders"
    for folder in sorted(p.name for p in (GRAFANA_DIR / "provisioning").iterdir() if p.is_dir()):
        assert f"./deploy/grafana/provisioning/{folder}:/etc/grafana/provisioning/{folder}:ro" in grafana_volumes
    dashboards_mount = next(v for v in grafana_volumes if v.startswith("./deploy/grafana/dashboards:"))
    provider = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "anchang.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == dashboards_mount.split(":")[1]


def grafana_dashboards():
    return [json.loads(path.read_text()) for path in sorted((GRAFANA_DIR / "dashboards").glob("*.json"))]


def test_grafana_dashboards_use_the_provisioned_datasource(services):
    datasources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())["datasources"]
    uids = {source["uid"] for source in datasources}
    assert {urlsplit(source["url"]).hostname for source in datasources} <= set(services)
    dashboards = grafana_dashboards()
    assert dashboards
    for dashboard in dashboards:
        assert dashboard["uid"] and dashboard["panels"]
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids
            assert panel["targets"] and all(target["expr"] for target in panel["targets"])


# --- tools, where installed ------------------------------------------------------------------------


def promtool():
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return path


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))}:\n{result.stdout}{result.stderr}"
    return result


def test_promtool_accepts_config_and_rules():
    tool = promtool()
    for config in sorted(PROMETHEUS_DIR.glob("prometheus*.yml")):
        run([tool, "check", "config", config.name], cwd=PROMETHEUS_DIR)
    run([tool, "check", "rules", *sorted(str(p) for p in (PROMETHEUS_DIR / "rules").glob("*.yml"))])


def test_promtool_rule_unit_tests_pass():
    tool = promtool()
    tests = sorted(str(p.relative_to(PROMETHEUS_DIR)) for p in (PROMETHEUS_DIR / "tests").glob("*.yml"))
    assert tests
    run([tool, "test", "rules", *tests], cwd=PROMETHEUS_DIR)


def test_grafana_queries_are_valid_promql(tmp_path):
    """Each panel's query, with Grafana's variables filled in, parses as PromQL (via promtool)."""
    tool = promtool()
    rules = []
    for dashboard in grafana_dashboards():
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = (target["expr"].replace("$__rate_interval", "5m").replace("$__interval", "1m")
                        .replace("$service", ".*"))
                rules.append({"record": f"dashboard_check:{len(rules)}", "expr": expr})
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    run([tool, "check", "rules", str(path)])


def compose_cli():
    """``[docker, compose]`` if the compose plugin runs here (``config`` needs no engine), else skip."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker CLI not installed")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed: "
                    + (probe.stderr or probe.stdout).strip().splitlines()[0])
    return [docker, "compose"]


def test_docker_compose_config_accepts_the_file_without_the_admin_password():
    """`config` (like `down -v` and `logs`) works without ANCHANG_ADMIN_PASSWORD: only migrate needs it."""
    env = {k: v for k, v in os.environ.items() if k != "ANCHANG_ADMIN_PASSWORD"}
    run([*compose_cli(), "-f", str(COMPOSE_FILE), "config", "-q"], cwd=REPO, env=env)
