"""Seed the appraisal template ``default`` (idempotent), or upgrade it.

``python -m appraisal.bootstrap`` with ``DATABASE_URL`` set; run by ``make run`` after the migrations.
A stored ``default`` that is still a valid template is left as it is (someone may have tuned it);
one that no longer passes the template rules (an older shape) is replaced by the seed.
"""
import os

from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from appraisal.default_template import CODE, DEFAULT_TEMPLATE
from appraisal.domain.templates import TemplateProblems, parse_template
from appraisal.storage import AppraisalStorage


def seed_default_template(url):
    """``"created"``, ``"upgraded"`` or ``"kept"``."""
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            store = AppraisalStorage(session)
            stored = store.stored_template_definition(CODE)
            if stored is None:
                store.add_template(parse_template(DEFAULT_TEMPLATE))
                return "created"
            try:
                parse_template({**stored, "code": CODE})
                return "kept"
            except TemplateProblems:
                store.replace_template(parse_template(DEFAULT_TEMPLATE))
                return "upgraded"
    finally:
        engine.dispose()


def main():
    outcome = seed_default_template(os.environ.get("DATABASE_URL", "sqlite:///.run/appraisal.db"))
    print(f"appraisal: template {CODE} {outcome}")


if __name__ == "__main__":
    main()
