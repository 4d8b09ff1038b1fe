"""SLA policies, business calendars and the SLA report: a part of the ticket service class.

A change of a policy or a calendar recomputes the deadlines of the active tickets it governs, in the
same unit of work (announcements already made stay made: each is made once)."""
from anchang_common.entrypoints import rpc
from ticket import report, schemas, views
from ticket.calendar import BusinessCalendar, merge_years


class Policies:
    """Mixed into ``ticket.service.Service``; needs its ``store``, ``settings`` and ``clock``."""

    @rpc
    def set_sla_policy(self, policy):
        policy = schemas.parse_policy(policy)
        self.store.put_policy(policy)
        stored = self.store.policy(policy.category, policy.priority)
        self._recompute(self.store.active_ticket_ids(category=policy.category, priority=policy.priority))
        return views.policy_view(stored)

    @rpc
    def list_sla_policies(self):
        return [views.policy_view(policy) for policy in self.store.policies()]

    @rpc
    def set_calendar(self, calendar):
        """Create a calendar, or replace its zone and hours and add or override the years its
        ``holidays`` and ``workdays`` name (other years are kept)."""
        code, timezone, hours, holidays, workdays = schemas.parse_calendar(calendar)
        stored = self.store.calendar_or_none(code)
        if stored is not None:
            years = {day.year for day in holidays | workdays}
            holidays = merge_years(stored.holidays, holidays, years)
            workdays = merge_years(stored.workdays, workdays, years)
            code = stored.code if stored.code.lower() == code.lower() else code
        self.store.put_calendar(BusinessCalendar(code, timezone, hours, holidays, workdays))
        self._recompute(self.store.active_ticket_ids(calendar=code))
        return views.calendar_view(self.store.calendar(code))

    @rpc
    def get_calendar(self, code):
        return views.calendar_view(self.store.calendar(schemas.parse_id("code", code)))

    def _recompute(self, ticket_ids):
        for ticket_id in ticket_ids:
            self.store.refresh_clocks(ticket_id, self.settings.at_risk_percent)

    @rpc
    def sla_report(self, since, until, group_by):
        since, until, group_by = schemas.parse_report(since, until, group_by)
        return {"since": since.isoformat(), "until": until.isoformat(), "group_by": group_by,
                "groups": report.sla_report(self.store.opened_between(since, until), group_by)}
