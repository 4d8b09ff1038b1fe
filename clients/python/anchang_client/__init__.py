"""The typed Python client of Anchang's RPC API, generated from the services' published contract
(docs/rpc.md, docs/asyncapi.yaml).

From a script::

    from anchang_client import Anchang, Unauthenticated

    with Anchang("amqp://guest:guest@127.0.0.1:5672/") as anchang:
        anchang.login("admin", password)              # the token is kept for the calls that follow
        for member in anchang.staff.list_staff(status="active"):
            print(member["username"], member["roles"])

From a nameko service, over the proxy it already declares (``ServiceRpc("staff")``)::

    from anchang_client.staff import StaffClient
    StaffClient(self.staff_rpc).get_staff(staff_id)    # -> StaffView, a TypedDict

Errors come as ``anchang_client.errors`` types (``ValidationError``, ``NotFound``, ``Conflict``,
``Unauthenticated``, ``Forbidden``, ``DependencyUnavailable``, ``InternalError``).
"""
from anchang_client.client import Anchang
from anchang_client.errors import (
    AnchangError,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InternalError,
    NotFound,
    ServiceUnavailable,
    Unauthenticated,
    ValidationError,
)

__all__ = ["Anchang", "AnchangError", "Conflict", "DependencyUnavailable", "Forbidden", "InternalError", "NotFound",
           "ServiceUnavailable", "Unauthenticated", "ValidationError"]
