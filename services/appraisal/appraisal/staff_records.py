"""Members as ``staff`` describes them (``list_staff``, ``get_staff``), read into
``domain.kpis.StaffRecord``: status, roles, position, certificates and training scores. Names and
usernames are not kept. The same JSON shape is what an appraisal stores (``record_view``)."""
from datetime import date

from appraisal.domain.kpis import Certificate, StaffRecord, Training


def _day(value):
    return date.fromisoformat(value) if value else None


def staff_record(view) -> StaffRecord:
    """The ``StaffRecord`` of a member view of ``staff`` (or of ``record_view``)."""
    return StaffRecord(
        staff_id=view["staff_id"], status=view["status"], roles=tuple(view.get("roles") or ()),
        position_code=view.get("position_code"),
        certificates=tuple(Certificate(c["code"], _day(c["issued_on"]), _day(c.get("expires_on")))
                           for c in view.get("certificates") or ()),
        trainings=tuple(Training(t["module_code"], t["score"]) for t in view.get("trainings") or ()))


def record_view(record: StaffRecord) -> dict:
    return {"staff_id": record.staff_id, "status": record.status, "roles": list(record.roles),
            "position_code": record.position_code,
            "certificates": [{"code": c.code, "issued_on": c.issued_on.isoformat(),
                              "expires_on": c.expires_on.isoformat() if c.expires_on else None}
                             for c in record.certificates],
            "trainings": [{"module_code": t.module_code, "score": t.score} for t in record.trainings]}
