"""The ``anchang`` command line: a caller of Anchang's public RPC API (docs/cli.md).

It imports no service package: it talks to the services over the broker through ``anchang_cli.rpc``
alone, as any other caller would."""
import warnings

# nameko imports eventlet, which warns on import that it is deprecated: nothing a user of the CLI can act on
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
