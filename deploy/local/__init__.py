"""The local stack of docs/configuration.md: ``python -m deploy.local start|stop|status`` (``make run|stop|status``).

``start`` checks RabbitMQ (starting a local ``rabbitmq-server`` if one is installed), starts a local
OpenBao under ``.run/vault/`` (initialised, unsealed, provisioned; one token per service), applies
migrations, seeds, starts the four services in the background and returns once every one answers
``/health/ready``; then a local Prometheus where the binary exists. ``stop`` stops what ``start``
started; every byte of data stays under ``.run/`` (0700, files 0600). Logs: ``.run/logs/``.

Modules, by role: ``files`` (``.run/`` and its modes), ``processes`` (pid files, start/stop),
``broker`` (RabbitMQ and its management API), ``openbao`` (the OpenBao server process, also used by
the tests), ``vault`` (the stack's Vault and service tokens), ``services`` (migrations, seeds, the
service processes), ``prometheus``, ``cli``. What goes into Vault is ``deploy.vault.provision``;
ports are ``deploy.ports``.
"""
