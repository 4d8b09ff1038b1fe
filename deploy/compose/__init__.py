"""Helpers of the docker compose stack (docker-compose.yml), run in the service image with ./deploy mounted."""
