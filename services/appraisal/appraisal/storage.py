"""The appraisal service's storage: every query of the service, and the mapping between its rows
(``appraisal.models``) and the domain objects of ``appraisal.domain``.

``AppraisalStore`` injects an ``AppraisalStorage`` bound to the worker's session, the one the gate,
the outbox and the unit of work use: what a method writes here commits (or rolls back) with its events.
Methods raise ``NotFound`` and ``Conflict`` in the words of the contract; the service never sees a row.
"""
import dataclasses

import sqlalchemy as sa

from anchang_common.db import Storage
from anchang_common.errors import Conflict, NotFound
from anchang_common.types import utcnow
from appraisal.domain import cycles, kpis
from appraisal.domain.scoring import Ratings
from appraisal.domain.templates import code_key, parse_template, template_view
from appraisal.models import Appraisal, Cycle, Member, Rating, Template, TicketFact
from appraisal.staff_records import record_view, staff_record

#: the fields of ``kpis.TicketTotals``, each a column of ``ticket_totals``' statement
_TOTALS = tuple(field.name for field in dataclasses.fields(kpis.TicketTotals))


class AppraisalStorage:
    """Queries and row <-> domain mapping of the appraisal service, over one session."""

    def __init__(self, session):
        self.session = session

    # -- templates ---------------------------------------------------------------------------
    def add_template(self, template):
        """Store ``template``; ``Conflict`` when its code exists in any case. Returns the row's view."""
        if self._template_row(template.code) is not None:
            raise Conflict(f"template {template.code} already exists")
        row = Template(code=template.code, code_key=code_key(template.code), definition=template_view(template),
                       created_at=utcnow())
        self.session.add(row)
        self.session.flush()
        return _template(row), row.created_at

    def replace_template(self, template):
        """Store ``template`` in place of the one of its code (the seed's upgrade of ``default``)."""
        row = self._template_row(template.code)
        if row is None:
            return self.add_template(template)
        row.definition = template_view(template)
        self.session.flush()
        return _template(row), row.created_at

    def template(self, code):
        """``(Template, created_at)`` of ``code`` in any case; ``NotFound`` otherwise."""
        row = self._template_row(code)
        if row is None:
            raise NotFound("template not found")
        return _template(row), row.created_at

    def stored_template_definition(self, code):
        """The stored definition of ``code`` as it is (``None`` when there is none), for the seed."""
        row = self._template_row(code)
        return None if row is None else row.definition

    def templates(self):
        rows = self.session.scalars(sa.select(Template).order_by(Template.code_key))
        return [(_template(row), row.created_at) for row in rows]

    def _template_row(self, code):
        return self.session.scalar(sa.select(Template).where(Template.code_key == code_key(code)))

    # -- cycles and appraisals -----------------------------------------------------------------
    def add_cycle(self, code, template, period_start, period_end, opened_by, records):
        """A new open cycle with one appraisal per ``StaffRecord``; ``Conflict`` when the code exists."""
        if self.session.scalar(sa.select(Cycle.id).where(Cycle.code_key == code_key(code))):
            raise Conflict(f"cycle {code} already exists")
        row = Cycle(code=code, code_key=code_key(code), template_code=template.code,
                    template=template_view(template), period_start=period_start, period_end=period_end,
                    status=cycles.OPEN, opened_by=opened_by, opened_at=utcnow())
        self.session.add(row)
        self.session.flush()
        self.session.add_all(Appraisal(cycle_id=row.id, staff_id=r.staff_id, member_status=r.status,
                                       staff_record=record_view(r)) for r in records)
        self.session.flush()
        return _cycle(row)

    def cycle(self, code, lock=False):
        """The ``Cycle`` of ``code`` in any case; ``NotFound`` otherwise. ``lock``: its row is held
        until the transaction ends, so ratings and finalisation of one cycle run one after the other
        (``FOR UPDATE`` on PostgreSQL; on SQLite a write first takes the database's write lock)."""
        where = Cycle.code_key == code_key(code)
        if lock and self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(sa.update(Cycle).where(where).values(status=Cycle.status))
        query = sa.select(Cycle).where(where).execution_options(populate_existing=True)
        row = self.session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFound("cycle not found")
        return _cycle(row)

    def appraisals(self, cycle):
        """Every ``Appraisal`` of ``cycle`` with its ratings, by staff id, in two queries."""
        rows = self.session.scalars(sa.select(Appraisal).where(Appraisal.cycle_id == cycle.cycle_id)
                                    .order_by(Appraisal.staff_id)).all()
        ratings = self.session.scalars(sa.select(Rating).join(Appraisal).where(
            Appraisal.cycle_id == cycle.cycle_id)).all()
        return [_appraisal(row, [r for r in ratings if r.appraisal_id == row.id]) for row in rows]

    def appraisal(self, cycle, staff_id):
        """The ``Appraisal`` of ``staff_id`` in ``cycle``; ``NotFound`` otherwise."""
        row = self.session.scalar(sa.select(Appraisal).where(
            Appraisal.cycle_id == cycle.cycle_id, Appraisal.staff_id == staff_id))
        if row is None:
            raise NotFound("no appraisal of this staff member in this cycle")
        ratings = self.session.scalars(sa.select(Rating).where(Rating.appraisal_id == row.id)).all()
        return _appraisal(row, ratings)

    def put_rating(self, appraisal_id, reviewer_id, kind, levels, comment):
        """Record a reviewer's levels for an appraisal, replacing that reviewer's earlier ones."""
        row = self.session.scalar(sa.select(Rating).where(
            Rating.appraisal_id == appraisal_id, Rating.reviewer_id == reviewer_id))
        if row is None:
            self.session.add(Rating(appraisal_id=appraisal_id, reviewer_id=reviewer_id, kind=kind,
                                    levels=levels, comment=comment, rated_at=utcnow()))
        else:
            row.kind, row.levels, row.comment, row.rated_at = kind, levels, comment, utcnow()
        self.session.flush()

    def finalize(self, cycle, finalized_by, results):
        """Lock ``cycle`` as finalised with each appraisal's result: ``results`` maps an appraisal id to
        ``(StaffRecord, final_score, grade, rank, scorecard view)``."""
        for appraisal_id, (record, final_score, grade, rank, scorecard) in results.items():
            self.session.execute(sa.update(Appraisal).where(Appraisal.id == appraisal_id).values(
                member_status=record.status, staff_record=record_view(record), final_score=final_score,
                grade=grade, rank=rank, scorecard=scorecard))
        self.session.execute(sa.update(Cycle).where(Cycle.id == cycle.cycle_id).values(
            status=cycles.FINALIZED, finalized_by=finalized_by, finalized_at=utcnow()))
        self.session.flush()

    def recent_grades(self, staff_id, limit):
        """The member's grades in the latest ``limit`` finalised cycles they were appraised in, newest
        first (by the end of the period, then by when it was finalised)."""
        return list(self.session.scalars(
            sa.select(Appraisal.grade).join(Cycle).where(
                Appraisal.staff_id == staff_id, Cycle.status == cycles.FINALIZED)
            .order_by(Cycle.period_end.desc(), Cycle.finalized_at.desc()).limit(limit)))

    # -- facts ---------------------------------------------------------------------------------
    def add_ticket_fact(self, fact):
        self.session.add(TicketFact(
            event_id=fact.event_id, kind=fact.kind, ticket_id=fact.ticket_id, staff_id=fact.staff_id,
            day=fact.day, occurred_at=fact.occurred_at, category=fact.category, within_sla=fact.within_sla,
            business_seconds=fact.business_seconds, score=fact.score))

    def ticket_totals(self, staff_ids, start, end):
        """``{staff_id: kpis.TicketTotals}`` of ``staff_ids`` over the days ``start``..``end``, summed by
        the database in one statement (``kpis.ticket_totals`` is the definition, over facts), so that a
        scorecard costs one row per member however many facts the period holds."""
        rows = self.session.execute(_TICKET_TOTALS, {"staff_ids": list(staff_ids), "start": start, "end": end})
        totals = {row.staff_id: kpis.TicketTotals(**{name: int(row._mapping[name] or 0) for name in _TOTALS})
                  for row in rows}
        return {staff_id: totals.get(staff_id, kpis.TicketTotals()) for staff_id in staff_ids}

    def note_member(self, staff_id, at, status=None, position_code=None):
        """What a staff event said of a member at ``at``: the newest status wins (events may come in
        any order); a status that wins is copied onto the member's appraisals in open cycles."""
        row = self.session.get(Member, staff_id) or Member(staff_id=staff_id)
        self.session.add(row)
        if position_code is not None:
            row.position_code = position_code
        if status is not None and (row.status_at is None or at >= row.status_at):
            row.status, row.status_at = status, at
            self.session.execute(sa.update(Appraisal).where(
                Appraisal.staff_id == staff_id,
                Appraisal.cycle_id.in_(sa.select(Cycle.id).where(Cycle.status == cycles.OPEN))).values(
                member_status=status))
        self.session.flush()


class AppraisalStore(Storage):
    """Injects ``AppraisalStorage`` over the worker's session."""

    wrapper = AppraisalStorage


def _ticket_totals_statement():
    """``ticket_totals``' statement, built once (parameters ``staff_ids``, ``start``, ``end``): the
    union of three parts, one row per member and part, summed per member."""
    facts = TicketFact.__table__.c
    in_period = facts.day.between(sa.bindparam("start"), sa.bindparam("end"))
    theirs = facts.staff_id.in_(sa.bindparam("staff_ids", expanding=True))
    responded, resolved = facts.kind == "first_responded", facts.kind == "resolved"
    within = facts.within_sla.is_(sa.true())
    complaint = sa.and_(resolved, facts.category == kpis.COMPLAINT)
    own = sa.select(*_totals_columns(
        facts.staff_id, responded=_count_if(responded), responded_within=_count_if(sa.and_(responded, within)),
        resolutions=_count_if(resolved), resolutions_within=_count_if(sa.and_(resolved, within)),
        resolved_tickets=_distinct_tickets_if(resolved, facts.ticket_id),
        complaint_resolutions=_count_if(complaint),
        complaint_tickets=_distinct_tickets_if(complaint, facts.ticket_id),
    )).where(in_period, theirs, facts.kind.in_(("first_responded", "resolved"))).group_by(facts.staff_id)

    # reopenings, by anyone, of the tickets each member resolved in the period
    resolvers = sa.select(facts.staff_id, facts.ticket_id).where(in_period, theirs, resolved).distinct().subquery()
    later = TicketFact.__table__.alias("later")
    reopenings = sa.select(*_totals_columns(
        resolvers.c.staff_id, reopenings=sa.func.count(),
        reopened_tickets=sa.func.count(sa.distinct(later.c.ticket_id)),
    )).join_from(resolvers, later, later.c.ticket_id == resolvers.c.ticket_id).where(
        later.c.kind == "reopened", later.c.day.between(sa.bindparam("start"), sa.bindparam("end")),
    ).group_by(resolvers.c.staff_id)

    # the latest scored survey of each ticket (by time, then event id, as ``kpis._latest_per_ticket``)
    newest_first = sa.func.row_number().over(partition_by=(facts.staff_id, facts.ticket_id),
                                             order_by=(facts.occurred_at.desc(), facts.event_id.desc()))
    scored = sa.select(facts.staff_id, facts.score, newest_first.label("newness")).where(
        in_period, theirs, facts.kind == "satisfaction_recorded", facts.score.is_not(None)).subquery()
    surveys = sa.select(*_totals_columns(
        scored.c.staff_id, surveys=sa.func.count(), survey_score_sum=sa.func.sum(scored.c.score),
    )).where(scored.c.newness == 1).group_by(scored.c.staff_id)

    parts = sa.union_all(own, reopenings, surveys).subquery()
    return sa.select(parts.c.staff_id, *(sa.func.sum(parts.c[name]).label(name) for name in _TOTALS)) \
        .group_by(parts.c.staff_id)


def _count_if(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _distinct_tickets_if(condition, ticket_id):
    return sa.func.count(sa.distinct(sa.case((condition, ticket_id))))


def _totals_columns(staff_id, **measures):
    """The columns of one part of ``ticket_totals``' union: the member, then every total in
    ``kpis.TicketTotals``' order, 0 where this part does not count it."""
    return [staff_id.label("staff_id"), *(measures.get(name, sa.literal(0)).label(name) for name in _TOTALS)]


_TICKET_TOTALS = _ticket_totals_statement()


# -- row <-> domain ------------------------------------------------------------------------------
def _template(row):
    return parse_template({**row.definition, "code": row.code})


def _cycle(row):
    return cycles.Cycle(cycle_id=row.id, code=row.code, template=parse_template(row.template),
                        period_start=row.period_start, period_end=row.period_end, status=row.status,
                        finalized_at=row.finalized_at)


def _appraisal(row, ratings):
    supervisors = {r.reviewer_id: r.levels for r in ratings if r.kind == cycles.SUPERVISOR}
    own = next((r.levels for r in ratings if r.kind == cycles.SELF), None)
    return cycles.Appraisal(
        appraisal_id=row.id, staff_id=row.staff_id, member_status=row.member_status,
        record=staff_record(row.staff_record), ratings=Ratings(supervisors, own), final_score=row.final_score,
        grade=row.grade, rank=row.rank, scorecard=row.scorecard)
