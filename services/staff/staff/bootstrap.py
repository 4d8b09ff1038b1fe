"""Seed the bootstrap administrator ``admin`` (idempotent).

``python -m staff.bootstrap`` with ``DATABASE_URL`` and ``ANCHANG_ADMIN_PASSWORD`` set; run by
``make run`` after the migrations. An existing ``admin`` account is left as it is.
"""
import os
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from anchang_common.types import utcnow
from staff import domain
from staff.models import Staff
from staff.passwords import COMMON_PASSWORDS, hash_password

ADMIN_USERNAME = "admin"


def seed_admin(url, password):
    """Create ``admin`` with ``password`` unless it exists; returns whether it was created."""
    problems = domain.password_problems(password, ADMIN_USERNAME, COMMON_PASSWORDS)
    if problems:
        raise ValueError("ANCHANG_ADMIN_PASSWORD: " + "; ".join(problems))
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            if session.scalar(sa.select(Staff.id).where(Staff.username == ADMIN_USERNAME)):
                return False
            session.add(Staff(username=ADMIN_USERNAME, name="Administrator",
                              password_hash=hash_password(password), status="active", roles=["admin"],
                              onboarded_at=utcnow(),
                              skills=list(domain.TICKET_CATEGORIES)))
            return True
    finally:
        engine.dispose()


def main():
    url = os.environ.get("DATABASE_URL", "sqlite:///.run/staff.db")
    password = os.environ.get("ANCHANG_ADMIN_PASSWORD")
    if not password:
        sys.exit("ANCHANG_ADMIN_PASSWORD is not set")
    try:
        created = seed_admin(url, password)
    except ValueError as error:
        sys.exit(str(error))
    print("staff: admin account created" if created else "staff: admin account exists")


if __name__ == "__main__":
    main()
