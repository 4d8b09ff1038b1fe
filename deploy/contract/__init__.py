"""Generated from the services' schemas of the published RPC contract (``<service>/contract.py``):
``docs/asyncapi.yaml`` (``asyncapi``) and the typed Python client (``python_client``). Run
``python -m deploy.contract`` after changing a contract, ``--check`` to see whether anything is stale."""
