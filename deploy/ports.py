"""Where each component listens: one table for the local stack, the tests and the benchmarks.

The services' ``config.yaml`` (``WEB_SERVER_ADDRESS`` defaults), docker-compose.yml's published
ports and the Prometheus configurations repeat these numbers as literals, because those files are
read by programs that cannot import Python; ``tests/unit/deploy/test_ports.py`` checks that they
agree with this table.
"""

#: metrics and health (``/metrics``, ``/health/*``) of each service on the host; the keys are the
#: services themselves, in the order the stack starts and lists them.
SERVICE_PORTS = {"staff": 8001, "client_vault": 8002, "ticket": 8003, "appraisal": 8004}
SERVICES = tuple(SERVICE_PORTS)

#: inside the images every service listens on this port (compose publishes it as SERVICE_PORTS).
CONTAINER_PORT = 8000

VAULT_PORT = 8200
PROMETHEUS_PORT = 9090
#: RabbitMQ's rabbitmq_prometheus plugin (queue metrics), on the broker's host
RABBITMQ_METRICS_PORT = 15692
