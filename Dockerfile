# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
# One image per Anchang service, all from this file (docs/contributing.md#package-layout):
#
#   docker build --build-arg SERVICE=ticket \
#       --build-arg REVISION="$(git rev-parse HEAD)" --build-arg SOURCE_URL=<repository URL> -t anchang/ticket .
#
# Every image holds all four service packages (so the `migrate` one-shot of docker-compose.yml can
# migrate every database from any of them); SERVICE only chooses the config file and the command.
#
# Reproducible: the frontend (syntax line) and the base image are pinned by version and digest, the
# dependencies come from requirements-image.lock with --require-hashes, and the five local packages
# are built with the lock's setuptools (--no-build-isolation --no-index): nothing unpinned is fetched.
# Digests: multi-architecture index digests as published on Docker Hub; update version and digest
# together (`docker buildx imagetools inspect python:<version>-slim-bookworm`).
# PYTHON_IMAGE is shared by both stages: the venv's interpreter is a symlink into the base image.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# --- builder: a venv with the locked dependencies and the five packages (non-editable) ---------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first: this layer is rebuilt only when the lock changes. Every package, with its
# hashes, is in the lock (--no-deps: pip installs nothing the lock does not name).
COPY requirements-image.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-image.lock

COPY libs/anchang_common libs/anchang_common
COPY services services
# --no-build-isolation --no-index: built with the locked setuptools, nothing downloaded. `pip check`
# proves the lock satisfies what the packages declare. Then pip leaves the venv (scanners flag it and
# nothing at run time needs it). setuptools stays, pinned and hashed in the lock: nameko 2.14.1 imports
# pkg_resources at start-up (nameko/cli/main.py), and pkg_resources ships in setuptools.
RUN pip install --no-cache-dir --no-deps --no-build-isolation --no-index \
        ./libs/anchang_common ./services/staff ./services/client_vault ./services/ticket \
        ./services/appraisal \
    && pip check \
    && pip uninstall --yes pip

# --- runtime -----------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=unknown
ARG PYTHON_IMAGE
# Fail the build early, with the reason, unless SERVICE names one of the four services.
RUN case "${SERVICE}" in \
        staff|client_vault|ticket|appraisal) ;; \
        *) echo "build with --build-arg SERVICE=staff|client_vault|ticket|appraisal (got '${SERVICE}')" >&2; \
           exit 1 ;; \
    esac

# OCI labels: what the image is and which source it was built from (VERSION is the packages' version,
# REVISION the commit, SOURCE_URL the repository: pass both when building for a registry).
LABEL org.opencontainers.image.title="anchang-${SERVICE}" \
      org.opencontainers.image.description="Anchang ${SERVICE} service (nameko over RabbitMQ)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WEB_SERVER_ADDRESS=0.0.0.0:8000

# The base image's own pip, setuptools and wheel (in /usr/local, not in the venv) go too: nothing runs them.
RUN /usr/local/bin/python -m pip uninstall --yes --disable-pip-version-check pip setuptools wheel \
    && groupadd --system --gid 10001 anchang \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin anchang

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY services/${SERVICE}/config.yaml /app/config.yaml

# The command. Exec-form CMD does not expand ARG or ENV, so the service class is written at build
# time into a tiny script (`<service>.service:Service`: the class, since given a bare module nameko
# would also try to run the base classes imported into it). Its `exec` replaces the shell with
# nameko, which thus runs as PID 1 and receives SIGTERM itself: nameko's `run` handles it by letting
# in-flight workers finish (docs/architecture.md#reliability). `docker run IMAGE <command>` or compose's `command:`
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
