"""The bare nameko service every RPC figure is compared with: it answers what it is given."""
from nameko.rpc import rpc


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value
