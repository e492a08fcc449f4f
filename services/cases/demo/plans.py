"""How each kind of intervention plays out in the demo: who opens it, which department
works it, how urgent it is, what the progress notes and outcomes say, and how long it runs.
The texts are what a case worker would write; none names a person."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """One intervention kind's course."""

    department: str
    urgency: str
    opener: str  # "director", "supervisor", or a county role such as "education"
    description: str
    progress: tuple[str, ...]
    outcomes: tuple[str, ...]
    days: tuple[int, int]  # from opening to closing
    due_days: int  # the due date, counted from opening
    closes: float = 0.88  # the share closed in the end; the rest stay open

    @property
    def worker(self) -> str:
        """Who records progress and closes: the department itself, else civil affairs."""
        return {
            "police": "police",
            "education": "education",
            "health": "health",
            "womens_federation": "womens_federation",
        }.get(self.department, "civil_affairs")


PLANS: dict[str, Plan] = {
    "mandatory_report": Plan(
        "police",
        "immediate",
        "director",
        "入户走访发现儿童疑似遭受侵害，依法向公安机关强制报告",
        ("公安机关已受案并开展调查", "已联系学校和村委会了解情况"),
        ("经调查核实，已依法对监护人训诫并责令改正", "已移送检察机关依法处理"),
        (12, 45),
        7,
    ),
    "admonition_talk": Plan(
        "civil_affairs",
        "urgent",
        "supervisor",
        "对未履行监护职责的父母开展训诫谈话",
        ("已电话联系外出务工的父母", "已约谈监护人，讲明监护责任"),
        ("父母已承诺每周联系并按时寄送生活费", "监护人已改正，照料状况好转"),
        (10, 40),
        15,
    ),
    "temporary_guardianship": Plan(
        "civil_affairs",
        "immediate",
        "civil_affairs",
        "儿童无人监护，由民政部门实施临时监护",
        ("已安置至未成年人救助保护中心", "正在联系亲属落实长期监护"),
        ("已落实亲属监护，结束临时监护", "已签订委托监护确认书，结束临时监护"),
        (5, 40),
        3,
        closes=0.6,
    ),
    "dropout_prevention": Plan(
        "education",
        "urgent",
        "education",
        "儿童辍学在家，开展控辍保学劝返",
        ("班主任与乡镇干部上门劝返", "已与外出务工的父母电话沟通"),
        ("已返校复学", "已转入职业学校就读"),
        (10, 60),
        15,
    ),
    "health_protection": Plan(
        "health",
        "routine",
        "health",
        "落实健康体检和慢病随访",
        ("乡镇卫生院已上门体检",),
        ("已纳入家庭医生签约服务",),
        (20, 90),
        60,
    ),
    "household_registration": Plan(
        "civil_affairs",
        "urgent",
        "supervisor",
        "儿童未登记户口，协调办理户口登记",
        ("已协调派出所核查出生医学证明",),
        ("已办理户口登记",),
        (15, 60),
        30,
    ),
    "psychological_support": Plan(
        "health",
        "routine",
        "health",
        "儿童情绪低落，安排心理辅导",
        ("学校心理老师已开展第一次辅导", "社工已开展陪伴活动"),
        ("情绪明显好转", "已转介专业心理机构"),
        (30, 120),
        90,
    ),
    "material_assistance": Plan(
        "civil_affairs",
        "routine",
        "supervisor",
        "家庭生活困难，申请临时救助",
        ("已提交临时救助申请",),
        ("已发放临时救助金", "已纳入最低生活保障"),
        (10, 45),
        30,
    ),
    "family_education": Plan(
        "womens_federation",
        "routine",
        "womens_federation",
        "对监护人开展家庭教育指导",
        ("已开展一次入户家庭教育指导",),
        ("监护人教育方式明显改善",),
        (20, 90),
        60,
    ),
    "legal_aid": Plan(
        "court",
        "routine",
        "civil_affairs",
        "为儿童提供法律援助",
        ("已联系县法律援助中心",),
        ("已完成法律咨询与援助",),
        (30, 90),
        60,
    ),
}

# What a visitor may note, by what the visit found.
VISIT_NOTES: dict[str, tuple[str, ...]] = {
    "stable": (
        "孩子精神状态良好",
        "作业完成情况良好",
        "与父母每周视频通话",
        "监护人照料到位",
        "已提醒监护人注意用电和防溺水安全",
    ),
    "lonely": ("孩子想念父母", "孩子话不多，已鼓励多与同学交流", "父母很少来电"),
    "withdrawn": ("孩子不愿交流，需持续关注", "在校较少参加集体活动"),
    "distressed": ("孩子情绪低落，哭诉想念父母", "孩子称在家常被责骂，需跟进"),
    "poor": ("房屋老旧，已反映村委会", "家中经济困难"),
}
