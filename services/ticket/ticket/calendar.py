"""Business calendars: when a sales site's customer service is open (pure, no I/O).

A ``BusinessCalendar`` has a time zone (IANA, through ``zoneinfo``), opening hours per weekday,
holidays (closed whatever the weekday) and extra working days (weekend days worked after a public
holiday: open with the hours of a working weekday). Business time is the part of a span of wall time
that falls inside opening hours, counted in the calendar's own zone whatever the server's zone is.
All instants taken and returned are aware UTC datetimes; arithmetic is exact to the microsecond.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
#: how far ahead a deadline is looked for before the calendar is declared never open
MAX_DAYS_AHEAD = 10 * 366
ZERO = timedelta(0)


class NeverOpen(ValueError):
    """The calendar has no opening hours within ``MAX_DAYS_AHEAD`` days of the instant asked."""


@dataclass(frozen=True)
class BusinessCalendar:
    code: str
    timezone: str
    #: seven entries, Monday first: ``(open_minute, close_minute)`` after local midnight, or ``None``
    hours: tuple
    holidays: frozenset = field(default=frozenset())
    workdays: frozenset = field(default=frozenset())

    def __post_init__(self):
        if len(self.hours) != 7:
            raise ValueError("hours needs one entry per weekday")
        for entry in self.hours:
            if entry is not None and not 0 <= entry[0] < entry[1] <= MINUTES_PER_DAY:
                raise ValueError("opening hours must open before they close, within the day")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at the first deadline

    @property
    def zone(self):
        return ZoneInfo(self.timezone)  # zoneinfo caches instances

    @property
    def workday_hours(self):
        """The hours of an extra working day: those of the first weekday that opens (Monday, usually)."""
        return next((entry for entry in self.hours if entry is not None), None)

    def hours_on(self, day):
        """``(open_minute, close_minute)`` of the local date ``day``, or ``None`` when closed."""
        if day in self.holidays:
            return None
        if day in self.workdays:
            return self.hours[day.weekday()] or self.workday_hours
        return self.hours[day.weekday()]

    def opening(self, day):
        """``(opens, closes)`` as UTC instants on the local date ``day``, or ``None`` when closed."""
        entry = self.hours_on(day)
        if entry is None:
            return None
        midnight = datetime.combine(day, time())
        zone = self.zone
        return tuple((midnight + timedelta(minutes=minute)).replace(tzinfo=zone).astimezone(UTC)
                     for minute in entry)

    def local_date(self, instant):
        return instant.astimezone(self.zone).date()

    def is_open(self, instant):
        """Whether ``instant`` is within opening hours (the closing moment included)."""
        span = self.opening(self.local_date(instant))
        return span is not None and span[0] <= instant <= span[1]

    # -- business time -------------------------------------------------------------------------
    def add_business_time(self, start, amount):
        """The instant at which ``amount`` (a ``timedelta``) of business time counted from ``start`` has
        run out: always within opening hours when ``amount`` is positive."""
        if amount <= ZERO:
            return start
        remaining = amount
        day = self.local_date(start)
        for _ in range(MAX_DAYS_AHEAD):
            span = self.opening(day)
            day += timedelta(days=1)
            if span is None:
                continue
            begin = max(span[0], start)
            if begin >= span[1]:
                continue
            available = span[1] - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise NeverOpen(f"calendar {self.code} has no opening hours ahead")

    def business_time_between(self, start, end):
        """Business time (a ``timedelta``) between two instants; zero when ``end`` is not after ``start``."""
        if end <= start:
            return ZERO
        total = ZERO
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            span = self.opening(day)
            day += timedelta(days=1)
            if span is not None:
                overlap = min(span[1], end) - max(span[0], start)
                if overlap > ZERO:
                    total += overlap
        return total

    def add_business_minutes(self, start, minutes):
        return self.add_business_time(start, timedelta(minutes=minutes))

    def business_minutes_between(self, start, end):
        return self.business_time_between(start, end) / timedelta(minutes=1)


def parse_clock(text):
    """Minutes after midnight of ``"HH:MM"`` (``"24:00"`` is the end of the day); ``ValueError`` otherwise."""
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError("not HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError("not a time of day")
    return value


def format_clock(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def every_day(open_minute, close_minute):
    return tuple((open_minute, close_minute) for _ in WEEKDAYS)


def weekdays_only(open_minute, close_minute):
    return tuple((open_minute, close_minute) if index < 5 else None for index in range(7))


def merge_years(stored, given, years):
    """``stored`` dates with each of ``years`` replaced by ``given``'s dates (how ``set_calendar`` adds
    or overrides whole years of holidays and extra working days, keeping the other years)."""
    return frozenset(day for day in stored if day.year not in years) | frozenset(given)


def to_date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)
