"""The SLA report and the appraisal ranking as the commands and the demo show them (one rendering)."""
from anchang_cli import output


def sla_rows(report, names=None):
    names = names or {}
    rows = []
    for group in report["groups"]:
        first, resolution = group["first_response"], group["resolution"]
        rows.append((names.get(group["group"], group["group"]), group["tickets"], group["resolved"],
                     first["compliance_percent"], first["median_business_minutes"], first["p90_business_minutes"],
                     resolution["compliance_percent"], resolution["median_business_minutes"],
                     resolution["p90_business_minutes"], group["breaches"], group["mean_satisfaction"],
                     group["satisfaction_responses"]))
    return sorted(rows, key=lambda row: str(row[0]))


SLA_HEADERS = [None, "tickets#", "resolved#", "1st resp. met %#", "1st resp. median#", "1st resp. p90#",
               "resol. met %#", "resol. median#", "resol. p90#", "breaches#", "satisfaction#", "surveys#"]


def render_sla(report, names=None):
    headers = [report["group_by"], *SLA_HEADERS[1:]]
    output.table(f"SLA report by {report['group_by']}: tickets opened from {output.moment(report['since'], True)} "
                 f"to {output.moment(report['until'], True)} UTC", headers, sla_rows(report, names),
                 caption="Times in business minutes (the ticket's calendar); met % counts every clock that "
                         "stopped or was breached.")


def ranking(door, cycle_code):
    """Every appraised member of the cycle with final score, grade and rank: the ranked by rank, then
    those not ranked (left, or nothing measured)."""
    cycle = door.call("appraisal", "get_cycle", cycle_code)
    pending = [door.send("appraisal", "get_scorecard", cycle["code"], member) for member in cycle["staff_ids"]]
    names = {m["staff_id"]: m["username"] for m in door.call("staff", "list_staff")}
    rows = []
    for reply in pending:
        card = reply.result()
        rows.append({"rank": card.get("rank"), "staff_id": card["staff_id"], "username": names.get(card["staff_id"]),
                     "final_score": card.get("final_score"), "grade": card.get("grade"),
                     "member_status": card.get("member_status"), "finalized": card.get("finalized")})
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -(r["final_score"] or 0), r["username"] or ""))
    return {"cycle": cycle, "ranking": rows}


def render_ranking(result):
    cycle = result["cycle"]
    state = "finalised" if cycle["status"] == "finalized" else "open: scores as they stand, no ranks yet"
    output.table(f"Appraisal {cycle['code']} ({cycle['period_start']} to {cycle['period_end']}, {state})",
                 ["rank#", "username", "final score#", "grade", "status", "staff id"],
                 [(r["rank"], r["username"], r["final_score"], r["grade"], r["member_status"], r["staff_id"])
                  for r in result["ranking"]])


def render_scorecard(card, username=None):
    output.fields(f"Scorecard of {username or card['staff_id']} in {card['cycle_code']}", [
        ("final score", card.get("final_score")), ("grade", card.get("grade")), ("rank", card.get("rank")),
        ("period", f"{card.get('period_start')} to {card.get('period_end')}"), ("finalised", card.get("finalized")),
        ("status", card.get("member_status"))])
    rows = []
    for dimension in card["dimensions"]:
        rows.append((f"{dimension['label']} ({dimension['weight']} %)", None, None, None, None, dimension["score"],
                     None, None))
        for kpi in dimension["kpis"]:
            rows.append(("", kpi.get("label") or kpi["key"], kpi["source"], kpi["raw"], kpi.get("target"),
                         kpi["score"], kpi["weight"], kpi["events"]))
    output.table("Where every number comes from", ["dimension", "KPI", "source", "raw#", "target#", "score#",
                                                    "weight %#", "events#"], rows)
