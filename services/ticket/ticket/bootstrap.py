"""Seed the business calendars and the default SLA policies (idempotent).

``python -m ticket.bootstrap`` with ``DATABASE_URL`` set; run by ``make run`` after the migrations.

- ``default``: Asia/Shanghai, 09:00-18:00 every day, closed on the official public holidays that
  ``chinesecalendar`` lists (every year it knows);
- ``cn-office``: Asia/Shanghai, Monday to Friday 09:00-18:00, with the official holidays and the
  extra working days (weekend days worked after a holiday) from ``chinesecalendar``;
- the default policy (urgent 15 min / 4 h, high 30 min / 8 h, normal 2 h / 24 h, low 4 h / 72 h) of
  every category and priority on ``default``.

What exists is left as it is: a calendar or policy changed with ``set_calendar``/``set_sla_policy``
keeps the change.
"""
import os

import chinese_calendar
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from ticket import domain
from ticket.calendar import BusinessCalendar, every_day, weekdays_only
from ticket.storage import TicketStorage

NINE, EIGHTEEN = 9 * 60, 18 * 60
TIMEZONE = "Asia/Shanghai"


def official_days_off():
    """Every date ``chinesecalendar`` lists as an official holiday (the days off of each holiday
    period, weekend days within it included)."""
    return frozenset(chinese_calendar.constants.holidays)


def official_extra_workdays():
    """Every weekend date ``chinesecalendar`` lists as worked (after a holiday, by State Council notice)."""
    return frozenset(chinese_calendar.constants.workdays)


def seeded_calendars():
    return [
        BusinessCalendar(domain.DEFAULT_CALENDAR, TIMEZONE, every_day(NINE, EIGHTEEN), official_days_off()),
        BusinessCalendar("cn-office", TIMEZONE, weekdays_only(NINE, EIGHTEEN), official_days_off(),
                         official_extra_workdays()),
    ]


def seed(url):
    """Create the calendars and policies that do not exist; returns what was created."""
    engine = make_engine(url)
    created = []
    try:
        with Session(engine) as session, session.begin():
            store = TicketStorage(session)
            for calendar in seeded_calendars():
                if store.calendar_or_none(calendar.code) is None:
                    store.put_calendar(calendar)
                    created.append(f"calendar {calendar.code}")
            existing = {(p.category, p.priority) for p in store.policies()}
            for policy in domain.default_policies():
                if (policy.category, policy.priority) not in existing:
                    store.put_policy(policy)
                    created.append(f"policy {policy.category}/{policy.priority}")
    finally:
        engine.dispose()
    return created


def main():
    created = seed(os.environ.get("DATABASE_URL", "sqlite:///.run/ticket.db"))
    print(f"ticket: seeded {len(created)} calendars and policies" if created
          else "ticket: calendars and policies exist")


if __name__ == "__main__":
    main()
