"""One call through a nameko proxy, with the contract's errors raised as ``anchang_client.errors`` types."""
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from anchang_client.errors import from_remote


def call(proxy, method, arguments, optional=()):
    """``proxy.<method>(**arguments)``, every argument by name; an ``optional`` one that is ``None`` is
    left out, so that the service applies its default."""
    kwargs = {name: value for name, value in arguments.items() if not (name in optional and value is None)}
    try:
        return getattr(proxy, method)(**kwargs)
    except (RemoteError, UnknownService, RpcTimeout) as error:
        raise from_remote(error) from None
