"""What happens during the demo day, decided up front from a seed (pure: no calls).

Names, phones, ID numbers and addresses are Faker's ``zh_CN`` inventions; phones are mainland mobile
numbers ``phonenumbers`` accepts, ID numbers carry a valid check digit. Each agent gets a *quality*
(0..1) that shapes their training scores, their customers' satisfaction, their reopened tickets and
their supervisors' ratings, so the appraisal ranking has something to rank."""
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import phonenumbers
from faker import Faker

EDUCATION = ("junior_high", "high_school", "vocational", "college", "bachelor", "master", "doctor")
MAJORS = ("市场营销", "酒店管理", "工商管理", "物业管理", "汉语言文学", "旅游管理")
CATEGORIES = ("inquiry", "complaint", "after_sales", "repair")
CATEGORY_WEIGHTS = (40, 15, 20, 25)
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (20, 50, 20, 10)
#: burst pipes and broken locks do not wait: a quarter of repairs are urgent
REPAIR_PRIORITY_WEIGHTS = (10, 40, 25, 25)
CHANNELS = ("phone", "walk_in", "wechat", "app")
CHANNEL_WEIGHTS = (40, 25, 25, 10)
#: the certificate agents need (Putonghua level 2B) and one some of them hold besides
LANGUAGE_CERTIFICATE = ("PTH-2B", "普通话水平测试二级乙等")
FIRST_AID_CERTIFICATE = ("FIRST-AID", "红十字救护员证")
SUPERVISOR_CERTIFICATE = ("PM-CERT", "物业管理师证书")

SUBJECTS = {
    "inquiry": ("样板间开放时间咨询", "户型面积与公摊咨询", "首付比例与贷款咨询", "交房时间咨询", "车位销售咨询",
                "物业费标准咨询", "学区划分咨询"),
    "complaint": ("销售顾问承诺未兑现", "样板间与交付标准不符", "排队等候时间过长", "停车收费有异议",
                  "工地夜间施工扰民"),
    "after_sales": ("交房验收问题", "产权证办理进度", "装修许可申请", "门禁卡补办", "维修基金缴纳"),
    "repair": ("厨房水管漏水", "卫生间地漏堵塞", "入户门锁故障", "墙面开裂", "电梯异响", "窗户密封不严"),
}
DETAILS = ("客户希望今天内得到答复。", "客户语气较急，请尽快处理。", "客户表示已多次反映。", "客户下午在家，可以上门。",
           "客户希望电话联系。", "客户是老业主推荐来的。")
RESPONSES = ("您好，已收到您的反馈，我们正在核实处理。", "已联系工程部，师傅今天会与您联系。",
             "您好，相关资料已发到您的微信，请查收。", "已登记您的诉求，主管会在今天给您回复。")
RESOLUTIONS = ("已安排维修师傅上门处理完毕，客户确认正常。", "已向客户详细解释相关政策，客户表示理解。",
               "已协调销售部门兑现承诺，客户认可处理结果。", "已补办并交付客户，手续齐全。")
REOPEN_REASONS = ("客户反映问题再次出现。", "客户对处理结果仍有疑问。")
VISIT_NOTES = ("回访客户，对处理结果满意。", "回访客户，建议加快后续流程。", "客户未接电话，已短信回访。")
SURVEY_COMMENTS = {5: "服务很好，响应及时。", 4: "整体满意，处理比较快。", 3: "一般，等待时间有点长。",
                   2: "处理速度太慢。", 1: "很不满意，问题没有真正解决。"}


@dataclass
class Candidate:
    name: str
    birth_date: str
    education: str
    major: str
    certificates: list
    eligible: bool           # what the screening should find
    passes: bool             # whether the assessors' scores reach the pass score
    quality: float

    def as_contract(self):
        return {"name": self.name, "birth_date": self.birth_date, "education": self.education, "major": self.major,
                "certificates": self.certificates}


@dataclass
class TicketPlan:
    index: int
    client: int              # index into the clients that get tickets
    category: str
    priority: str
    channel: str
    subject: str
    description: str
    urgent_repair: bool      # on the demo's one-minute policy
    late: bool = False       # an urgent repair answered after its minute ran out
    pause: bool = False      # waits for the customer, then resumes
    stays_waiting: bool = False
    stays_open: bool = False
    reopens: bool = False
    survey: bool = False
    survey_comment: bool = False
    visit_done: bool = False
    closes: bool = False


@dataclass
class Script:
    run: str
    seed: int
    supervisors: list = field(default_factory=list)    # Candidates
    agents: list = field(default_factory=list)
    clients: list = field(default_factory=list)        # profiles (valid)
    bad_rows: list = field(default_factory=list)       # profiles client_vault rejects
    walk_ins: list = field(default_factory=list)       # profiles registered one by one
    tickets: list = field(default_factory=list)        # TicketPlans
    texts: random.Random = None


def valid_mobile(number):
    parsed = phonenumbers.parse(number, "CN")
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


class Inventor:
    """Faker ``zh_CN`` with the demo's rules: valid unique mobile numbers, addresses down to the room."""

    def __init__(self, seed):
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.random = random.Random(seed)
        self.phones = set()

    def mobile(self):
        while True:
            number = self.fake.phone_number()
            if number not in self.phones and valid_mobile(number):
                self.phones.add(number)
                return number

    def written_mobile(self):
        """A mobile number as people write it: plain, spaced, dashed or with +86."""
        number = self.mobile()
        style = self.random.randrange(4)
        if style == 1:
            return f"{number[:3]} {number[3:7]} {number[7:]}"
        if style == 2:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        if style == 3:
            return f"+86 {number}"
        return number

    def address(self):
        fake = self.fake
        return (f"{fake.province()}{fake.city()}{fake.district()}区{fake.street_name()}{fake.building_number()}号"
                f"{self.random.randint(1, 30)}栋{self.random.randint(1, 33)}0{self.random.randint(1, 4)}室")

    def birth_date(self, low_age, high_age, today):
        age_days = self.random.randint(low_age * 365 + 10, high_age * 365 - 10)
        return (today - timedelta(days=age_days)).isoformat()

    def profile(self, granted_at):
        profile = {"name": self.fake.name(), "phone": self.written_mobile(), "source": "import",
                   "consent": {"purpose": "customer_service", "granted_at": granted_at}}
        if self.random.random() < 0.7:
            profile["id_number"] = self.fake.ssn()
        if self.random.random() < 0.8:
            profile["address"] = self.address()
        return profile


def wrong_check_digit(id_number):
    """The same ID number with another check digit: a typo the service must catch."""
    return id_number[:-1] + ("1" if id_number[-1] != "1" else "2")


def _candidates(inventor, count, *, low_age, high_age, education, certificates, screened, failing, today):
    """``count`` candidates for a position: the first ``screened`` fail one requirement each (age,
    education, certificate in turn), the next ``failing`` fail the assessment, the rest pass."""
    rng = inventor.random
    people = []
    for i in range(count):
        quality = round(rng.uniform(0.45, 1.0), 2)
        candidate = Candidate(
            name=inventor.fake.name(), birth_date=inventor.birth_date(low_age + 1, high_age - 1, today),
            education=rng.choice(EDUCATION[EDUCATION.index(education):EDUCATION.index("master")]),
            major=rng.choice(MAJORS), certificates=list(certificates), eligible=True, passes=True, quality=quality)
        if i < screened:
            candidate.eligible = candidate.passes = False
            flaw = i % 3
            if flaw == 0:
                candidate.birth_date = inventor.birth_date(high_age + 3, high_age + 12, today)
            elif flaw == 1:
                candidate.education = EDUCATION[EDUCATION.index(education) - 2]
            else:
                candidate.certificates = []
        elif i < screened + failing:
            candidate.passes = False
            candidate.quality = round(rng.uniform(0.2, 0.4), 2)
        people.append(candidate)
    rng.shuffle(people)
    return people


def skills(index):
    """Every other agent handles every category; the others all but one, in turn (never inquiries)."""
    if index % 2 == 0:
        return list(CATEGORIES)
    dropped = CATEGORIES[1 + (index // 2) % 3]
    return [c for c in CATEGORIES if c != dropped]


def _fate(plan, rng):
    """What happens to a ticket during the day."""
    if plan.urgent_repair:
        plan.late = rng.random() < 0.5
    else:
        roll = rng.random()
        if roll < 0.05:
            plan.stays_waiting = True
        elif roll < 0.12:
            plan.stays_open = True
        plan.pause = plan.stays_waiting or rng.random() < 0.15
    if plan.stays_waiting or plan.stays_open:
        return plan
    plan.reopens = rng.random() < 0.06
    plan.survey = rng.random() < 0.65  # the score depends on the agent who handles it
    plan.survey_comment = plan.survey and rng.random() < 0.4
    plan.visit_done = rng.random() < 0.8
    plan.closes = rng.random() < 0.5
    return plan


def satisfaction(rng, quality):
    """A customer's 1..5 given the agent's quality."""
    return max(1, min(5, round(1.5 + 3.5 * quality + rng.uniform(-1.2, 1.0))))


def rating(rng, quality):
    """A supervisor's 1..5 given the agent's quality."""
    return max(1, min(5, round(1 + 4 * quality + rng.uniform(-0.8, 0.8))))


def training_score(rng, quality):
    return round(min(100.0, 62 + 35 * quality + rng.uniform(-4, 3)), 1)


def write(run, seed, *, agents=8, supervisors=2, clients=300, walk_ins=20, tickets=300, today=None, now=None):
    """The day's script; ``today`` and ``now`` (the consent time) default to the clock, so that a test
    can pin them and the same seed writes the same day."""
    today = today or date.today()
    inventor = Inventor(seed)
    rng = inventor.random
    granted_at = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    script = Script(run=run, seed=seed, texts=random.Random(seed + 1))
    script.supervisors = _candidates(inventor, supervisors + 1, low_age=25, high_age=50, education="bachelor",
                                     certificates=[SUPERVISOR_CERTIFICATE[0]], screened=1, failing=0, today=today)
    screened, failing = max(3, agents // 3), max(2, agents // 4)
    script.agents = _candidates(inventor, agents + screened + failing, low_age=18, high_age=35, education="college",
                                certificates=[LANGUAGE_CERTIFICATE[0]], screened=screened, failing=failing,
                                today=today)
    script.clients = [inventor.profile(granted_at) for _ in range(clients)]
    script.bad_rows = [
        dict(inventor.profile(granted_at), phone="010-6552 1234"),           # a Beijing landline
        dict(inventor.profile(granted_at), id_number=wrong_check_digit(inventor.fake.ssn())),
        dict(inventor.profile(granted_at), name=""),
        dict(inventor.profile(granted_at), phone="+1 415 555 0100"),         # not a mainland number
    ]
    script.walk_ins = [dict(inventor.profile(granted_at), source="walk_in") for _ in range(walk_ins)]
    people = len(script.clients) + len(script.walk_ins)
    for index in range(tickets):
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        priority = rng.choices(PRIORITIES, REPAIR_PRIORITY_WEIGHTS if category == "repair" else PRIORITY_WEIGHTS)[0]
        subject = rng.choice(SUBJECTS[category])
        if (category, priority) == ("repair", "urgent"):  # called in before the agents start: a walk-in's
            client = len(script.clients) + rng.randrange(len(script.walk_ins))
        elif rng.random() < 0.3:  # regulars: a few clients call again and again
            client = min(int(rng.paretovariate(1.2)) - 1, people - 1)
        else:
            client = rng.randrange(people)
        plan = TicketPlan(index=index, client=client, category=category, priority=priority,
                          channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0], subject=subject,
                          description=f"客户反映{subject}。{rng.choice(DETAILS)}",
                          urgent_repair=(category, priority) == ("repair", "urgent"))
        script.tickets.append(_fate(plan, rng))
    return script
