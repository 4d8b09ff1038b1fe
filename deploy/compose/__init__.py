"""Helpers of the docker compose stack, run in the service image with ./deploy mounted."""
