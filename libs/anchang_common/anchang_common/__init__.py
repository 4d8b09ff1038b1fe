"""Mechanisms shared by every Anchang service. No business rules live here."""
