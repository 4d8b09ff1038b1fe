"""Finalising a cycle: final scores, grades and ranks computed and locked, ``appraisal.finalized``,
and ``appraisal.promotion_recommended`` for whoever qualifies. A part of the appraisal service class.

``staff`` is asked first (the members' records now, the next positions' certificates), on the
finalising user's behalf; only then is anything written, in one unit of work.
"""
import logging
from dataclasses import replace

from nameko.exceptions import RemoteError

from anchang_common.entrypoints import rpc
from anchang_common.errors import Conflict
from anchang_common.types import utc_today
from appraisal import schemas, scorecards, views
from appraisal.domain import review, scoring
from appraisal.staff_records import staff_record

log = logging.getLogger(__name__)


class Finalization:
    """Mixed into ``appraisal.service.Service``; needs its ``store``, ``auth``, ``staff`` and ``events``."""

    @rpc
    def finalize_cycle(self, cycle_code):
        code = schemas.parse_code("cycle_code", cycle_code)
        ladder = self._check_open(self.store.cycle(code)).template
        # staff first, before any row is locked or written: the members' records now, and what the
        # next positions on the ladder require
        records = {view["staff_id"]: staff_record(view) for view in self.staff.list_staff()}
        required = {position: self._required_certificates(position) for position in sorted(
            {ladder.next_position(r.position_code) for r in records.values()} - {None})}

        cycle = self._check_open(self.store.cycle(code, lock=True))
        appraisals = self.store.appraisals(cycle)
        cards = scorecards.current(self.store, cycle, appraisals, records)
        current = {a.staff_id: records.get(a.staff_id, a.record) for a in appraisals}
        left = [staff_id for staff_id, record in current.items() if record.status == "left"]
        ranks = scoring.ranks({staff_id: card.final_score for staff_id, card in cards.items()}, excluded=left)
        promotions = self._promotions(cycle, appraisals, cards, current, left, required)

        results = {}
        for appraisal in appraisals:
            card, record = cards[appraisal.staff_id], current[appraisal.staff_id]
            marked = replace(appraisal, member_status=record.status, record=record)
            view = views.scorecard_view(cycle, marked, card, ranks[appraisal.staff_id]) | {"finalized": True}
            results[appraisal.appraisal_id] = (record, views.number(card.final_score), card.grade,
                                               ranks[appraisal.staff_id], view)
        self.store.finalize(cycle, self.auth.principal.staff_id, results)
        self.events.dispatch("appraisal.finalized", views.finalized_event(cycle, appraisals))
        for appraisal, grade, next_position in promotions:
            self.events.dispatch("appraisal.promotion_recommended",
                                 views.promotion_event(cycle, appraisal, grade, next_position))
        return {"cycle_code": cycle.code, "status": "finalized", "staff_count": len(appraisals),
                "promotions_recommended": [a.staff_id for a, _, _ in promotions]}

    @staticmethod
    def _check_open(cycle):
        if cycle.finalized:
            raise Conflict("the cycle is finalised already")
        return cycle

    def _promotions(self, cycle, appraisals, cards, current, left, required):
        """``[(appraisal, grade, next position code)]`` of the members who qualify: graded A or B here
        and in their previous finalised cycle, and holding what the next position on the template's
        ladder requires (``required``: position code -> certificates, ``None`` for an unknown one)."""
        found = []
        for appraisal in appraisals:
            grade = cards[appraisal.staff_id].grade
            record = current[appraisal.staff_id]
            next_position = cycle.template.next_position(record.position_code)
            if appraisal.staff_id in left or required.get(next_position) is None or (
                    grade not in review.PROMOTION_GRADES):
                continue
            grades = [grade, *self.store.recent_grades(appraisal.staff_id, review.PROMOTION_CYCLES - 1)]
            held = [c.code for c in record.certificates_held(utc_today())]
            if review.qualifies_for_promotion(grades, required[next_position], held):
                found.append((appraisal, grade, next_position))
        return found

    def _required_certificates(self, position_code):
        """The certificates ``position_code`` requires at ``staff``; ``None`` when staff has no such
        position (the ladder names one that does not exist: nobody is recommended for it)."""
        try:
            position = self.staff.get_position(position_code)
        except RemoteError as error:
            if error.exc_type != "NotFound":
                raise
            log.warning("promotion ladder names an unknown position", extra={"position_code": position_code})
            return None
        return list(position["requirements"].get("certificates") or ())
