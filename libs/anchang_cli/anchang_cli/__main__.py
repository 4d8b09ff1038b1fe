"""``python -m anchang_cli`` is the ``anchang`` command."""
from anchang_cli.app import main

main()
