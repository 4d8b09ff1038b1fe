"""Cycles: opening one for the active staff, ratings by supervisors and self-assessments, the
calibration view and scorecards. A part of the appraisal service class."""
from anchang_common.entrypoints import rpc
from anchang_common.errors import Conflict, Forbidden
from appraisal import schemas, scorecards, views
from appraisal.domain import cycles, review
from appraisal.staff_records import staff_record

SUPERVISOR_ROLES = ("supervisor",)


class Reviews:
    """Mixed into ``appraisal.service.Service``; needs its ``store``, ``auth`` and ``staff``."""

    @rpc
    def open_cycle(self, cycle, idempotency_key=None):
        """One appraisal per member ``staff`` lists as active (asked on the caller's behalf)."""
        code, start, end, template_code = schemas.parse_cycle(cycle)
        template, _ = self.store.template(template_code)
        records = [staff_record(view) for view in self.staff.list_staff(status="active")]
        opened = self.store.add_cycle(code, template, start, end, self.auth.principal.staff_id, records)
        return views.cycle_view(opened, self.store.appraisals(opened))

    @rpc
    def get_cycle(self, cycle_code):
        cycle = self.store.cycle(schemas.parse_code("cycle_code", cycle_code))
        return views.cycle_view(cycle, self.store.appraisals(cycle))

    @rpc
    def submit_rating(self, cycle_code, staff_id, ratings, comment=None, idempotency_key=None):
        """A supervisor's rating of another member, or the member's own self-assessment; a reviewer's
        later rating replaces their earlier one until the cycle is finalised."""
        staff_id = schemas.parse_id("staff_id", staff_id)
        cycle = self.store.cycle(schemas.parse_code("cycle_code", cycle_code), lock=True)
        levels, comment = schemas.parse_ratings(cycle.template, ratings, comment)
        if cycle.finalized:
            raise Conflict("the cycle is finalised: ratings are locked")
        appraisal = self.store.appraisal(cycle, staff_id)
        kind = self._reviewer_kind(staff_id)
        if kind == cycles.SELF and not cycle.template.self_assessment_weight:
            raise Conflict("this cycle's template takes no self-assessment")
        self.store.put_rating(appraisal.appraisal_id, self.auth.principal.staff_id, kind, levels, comment)
        return {"cycle_code": cycle.code, "staff_id": staff_id, "kind": kind, "ratings": levels}

    def _reviewer_kind(self, staff_id):
        """``self`` for the member rating themselves (a supervisor included: nobody rates themselves as
        supervisor); ``supervisor`` for a supervisor rating someone else; ``Forbidden`` otherwise."""
        principal = self.auth.principal
        if principal.staff_id == staff_id:
            return cycles.SELF
        if principal.has_any(SUPERVISOR_ROLES):
            return cycles.SUPERVISOR
        raise Forbidden("only a supervisor rates another member; a member may assess themselves")

    @rpc
    def calibration(self, cycle_code):
        """Each supervisor's grade distribution and mean rating against the department's."""
        cycle = self.store.cycle(schemas.parse_code("cycle_code", cycle_code))
        appraisals = self.store.appraisals(cycle)
        if cycle.finalized:
            grades = {a.staff_id: a.grade for a in appraisals}
        else:
            grades = {staff_id: card.grade for staff_id, card in scorecards.current(
                self.store, cycle, appraisals).items()}
        return views.calibration_view(cycle, review.calibrate([(a.ratings, grades[a.staff_id]) for a in appraisals]))

    @rpc
    def get_scorecard(self, cycle_code, staff_id):
        """The member's scorecard: as finalised, or as it stands while the cycle is open (no rank).
        A member reads their own; supervisors (and admins) anyone's."""
        cycle = self.store.cycle(schemas.parse_code("cycle_code", cycle_code))
        staff_id = schemas.parse_id("staff_id", staff_id)
        principal = self.auth.principal
        if principal.staff_id != staff_id and not principal.has_any(SUPERVISOR_ROLES):
            raise Forbidden("a member reads their own scorecard only")
        appraisal = self.store.appraisal(cycle, staff_id)
        if cycle.finalized:
            return appraisal.scorecard
        card = scorecards.current(self.store, cycle, [appraisal])[staff_id]
        return views.scorecard_view(cycle, appraisal, card, rank=None)
