"""The seeded template ``default``: the four dimensions of the policy (service ability, business
proficiency, work enthusiasm, personal quality), objective KPIs from ticket events and the staff
record mixed with reviewer ratings, each level with its rubric."""

CODE = "default"


def _rubric(poor, fair, good, very_good, excellent):
    return {"1": poor, "2": fair, "3": good, "4": very_good, "5": excellent}


def _rating(key, label, weight, rubric):
    return {"key": key, "label": label, "source": "rating", "weight": weight, "rubric": rubric}


def _metric(key, label, weight, target, rule):
    return {"key": key, "label": label, "source": f"metric:{key}", "weight": weight, "target": target,
            "rule": rule}


DEFAULT_TEMPLATE = {
    "code": CODE,
    "label": "Customer service staff appraisal",
    "self_assessment_weight": 20,
    "grades": {"A": 90, "B": 80, "C": 60},
    "promotion_ladder": {},
    "dimensions": [
        {"key": "service_ability", "label": "Service ability", "weight": 40, "kpis": [
            _metric("first_response_compliance", "First responses within the SLA (%)", 25, 95, "linear"),
            _metric("resolution_compliance", "Resolutions within the SLA (%)", 25, 90, "linear"),
            _metric("mean_satisfaction", "Mean customer satisfaction (1-5)", 30, 4.5, "linear"),
            _rating("service_attitude", "Service attitude and communication", 20, _rubric(
                "Customers complain about the attitude; explanations are unclear",
                "Polite but passive; explanations often need a colleague's help",
                "Courteous and clear in ordinary cases",
                "Courteous and clear under pressure; calms upset customers",
                "A model for the team; customers praise the service by name")),
        ]},
        {"key": "business_proficiency", "label": "Business proficiency", "weight": 30, "kpis": [
            _metric("tickets_resolved", "Tickets resolved", 30, 60, "linear"),
            _metric("complaints_handled", "Complaints resolved", 20, 5, "linear"),
            _metric("reopen_rate", "Resolved tickets reopened (%)", 20, 5, "inverse"),
            _metric("training_score", "Training score (best per module, mean)", 15, 90, "linear"),
            _rating("product_knowledge", "Knowledge of the property, processes and after-sales rules", 15, _rubric(
                "Cannot answer common questions without help",
                "Answers common questions; unsure of processes",
                "Knows the processes and the common answers",
                "Handles unusual cases correctly on their own",
                "The team's reference; improves the processes")),
        ]},
        {"key": "work_enthusiasm", "label": "Work enthusiasm", "weight": 15, "kpis": [
            _rating("initiative", "Initiative and follow-up of customers' issues", 60, _rubric(
                "Leaves issues waiting; follow-ups missed",
                "Follows up when reminded",
                "Follows up own issues reliably",
                "Anticipates issues and follows up before being asked",
                "Drives improvements beyond own tickets")),
            _rating("teamwork", "Teamwork", 40, _rubric(
                "Avoids helping colleagues",
                "Helps when asked",
                "Cooperates readily",
                "Shares knowledge and covers for colleagues",
                "Lifts the whole team")),
        ]},
        {"key": "personal_quality", "label": "Personal quality", "weight": 15, "kpis": [
            _metric("certificates_held", "Qualification certificates held", 30, 1, "threshold"),
            _rating("confidentiality", "Protects customer information and follows the security rules", 40, _rubric(
                "Breached the rules on customer information",
                "Careless with customer information; reminded",
                "Follows the rules",
                "Follows the rules and corrects others' lapses",
                "Exemplary; raises risks before they happen")),
            _rating("conduct", "Professional conduct and integrity", 30, _rubric(
                "Conduct complaints upheld",
                "Occasional lapses in appearance, punctuality or manners",
                "Professional in ordinary circumstances",
                "Consistently professional",
                "A model of the company's image")),
        ]},
    ],
}
