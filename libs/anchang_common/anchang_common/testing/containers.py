"""The testcontainers path of the fixtures: where a Docker engine runs and a service was not given
(no reachable broker, no ``bao`` binary, no ``ANCHANG_TEST_PG_URL``), start it in a container.

On machines without an engine nothing here runs; the fixtures use the local services instead.
"""
import hvac

RABBITMQ_IMAGE = "rabbitmq:3.13-management"
OPENBAO_IMAGE = "openbao/openbao:2.4.1"
POSTGRES_IMAGE = "postgres:16"
DEV_ROOT_TOKEN = "anchang-test-root"


def docker_available():
    try:
        import docker
        docker.from_env(timeout=3).ping()
    except Exception:  # no client library, no socket, no engine: all mean "not here"
        return False
    return True


def _started(container, log_line, timeout=120):
    from testcontainers.core.waiting_utils import wait_for_logs

    container.start()
    wait_for_logs(container, log_line, timeout=timeout)
    return container


def start_rabbitmq():
    """``(container, amqp_uri, management_api_uri)`` of a RabbitMQ with its management plugin."""
    from testcontainers.core.container import DockerContainer

    container = _started(DockerContainer(RABBITMQ_IMAGE).with_exposed_ports(5672, 15672),
                         "Server startup complete")
    host = container.get_container_host_ip()
    return (container, f"amqp://guest:guest@{host}:{container.get_exposed_port(5672)}/",
            f"http://guest:guest@{host}:{container.get_exposed_port(15672)}")


def start_postgres():
    """``(container, url)`` of a PostgreSQL server for ``ANCHANG_TEST_PG_URL``."""
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(POSTGRES_IMAGE).with_exposed_ports(5432).with_env(
        "POSTGRES_HOST_AUTH_METHOD", "trust")
    _started(container, "database system is ready to accept connections")
    host = container.get_container_host_ip()
    return container, f"postgresql://postgres@{host}:{container.get_exposed_port(5432)}/postgres"


class ContainerVault:
    """An OpenBao dev server in a container, with the interface of ``deploy.local.openbao.BaoServer``."""

    def __init__(self):
        from testcontainers.core.container import DockerContainer

        self.container = DockerContainer(OPENBAO_IMAGE).with_exposed_ports(8200).with_command(
            f"server -dev -dev-root-token-id={DEV_ROOT_TOKEN} -dev-listen-address=0.0.0.0:8200")
        self.root_token = DEV_ROOT_TOKEN

    def start(self):
        _started(self.container, "OpenBao server started")
        host = self.container.get_container_host_ip()
        self.addr = f"http://{host}:{self.container.get_exposed_port(8200)}"
        return self

    def client(self, token=None):
        return hvac.Client(url=self.addr, token=token or self.root_token)

    def stop(self):
        self.container.stop()
