"""The bootstrap admin the integration tests seed in staff's database."""
ADMIN_PASSWORD = "correct-horse-42"
