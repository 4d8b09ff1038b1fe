"""The command groups of ``anchang``, one module each; ``common`` holds what they share."""
