"""What a notification says, in Chinese. Never the child's name or anything personal: the
place (county, township, village code) and a link to the case's page in the web app, which
the recipient opens under their own access rights (and the access log)."""

from __future__ import annotations

from services.notify.route import place_names
from shared.jurisdictions import divisions

CONCERN_WORDS = {
    "suspected_abuse": "疑似遭受侵害",
    "domestic_violence": "家庭暴力",
    "abandonment": "遗弃",
}
INTERVENTION_WORDS = {
    "admonition_talk": "训诫谈话",
    "mandatory_report": "强制报告",
    "temporary_guardianship": "临时监护",
    "dropout_prevention": "控辍保学",
    "health_protection": "健康保护",
    "household_registration": "户口登记",
    "psychological_support": "心理支持",
    "material_assistance": "物质帮扶",
    "family_education": "家庭教育指导",
    "legal_aid": "法律援助",
}
DEPARTMENT_WORDS = {
    "civil_affairs": "民政",
    "education": "教育",
    "police": "公安",
    "health": "卫健",
    "womens_federation": "妇联",
    "court": "法院",
}


def place(village: str) -> str:
    """'进贤县张公镇前坊村': the official names down to the township and the village's
    imported name; a village without one by its code ('进贤县张公镇 村 360124105203')."""
    known = divisions()
    names = [known[code].name for code in (village[:6], village[:9]) if code in known]
    own = place_names.name_of(village)
    if own:
        return "".join([*names, own])
    return f"{''.join(names)} 村 {village}".strip()


def case_link(case_id: str) -> str:
    """Where the case opens in the web app the case service serves (its case page; the
    app reads it under the recipient's own rights)."""
    return f"/dashboard/#/cases/{case_id}"


def no_guardian(village: str, case_id: str, when: str) -> tuple[str, str]:
    return (
        "儿童无人监护，需临时监护",
        f"{place(village)} 一名儿童{when}无人监护，请立即落实临时监护。案件：{case_link(case_id)}",
    )


def harm_found(village: str, case_id: str, concerns: list[str]) -> tuple[str, str]:
    words = "、".join(CONCERN_WORDS.get(c, c) for c in concerns)
    return (
        "走访发现儿童疑似受到伤害",
        f"{place(village)} 一名儿童走访时发现{words}，请立即核查处置。案件：{case_link(case_id)}",
    )


def mandatory_report(village: str, case_id: str) -> tuple[str, str]:
    return (
        "强制报告",
        f"{place(village)} 一名儿童的案件启动了强制报告，请立即核查处置。"
        f"案件：{case_link(case_id)}",
    )


def school_dropout(village: str, case_id: str) -> tuple[str, str]:
    return (
        "儿童辍学，需控辍保学",
        f"{place(village)} 一名儿童辍学，请落实控辍保学。案件：{case_link(case_id)}",
    )


def risk_high(village: str, case_id: str) -> tuple[str, str]:
    return (
        "儿童风险升为高",
        f"{place(village)} 一名儿童的风险等级升为高，请跟进。案件：{case_link(case_id)}",
    )


def visit_overdue(village: str, case_id: str, due_on: str, level: int) -> tuple[str, str]:
    if level == 1:
        return (
            "走访逾期",
            f"{place(village)} 一名儿童应于 {due_on} 前走访，已逾期。案件：{case_link(case_id)}",
        )
    return (
        "走访逾期超过7天（督办）",
        f"{place(village)} 一名儿童应于 {due_on} 前走访，逾期已超过7天，请督促。"
        f"案件：{case_link(case_id)}",
    )


def review_waiting(village: str, case_id: str, since: str, days: int) -> tuple[str, str]:
    return (
        "待复核超过3天",
        f"{place(village)} 一名儿童的登记或关键信息变更自 {since} 起待复核，已超过{days}天，"
        f"请及时复核。案件：{case_link(case_id)}",
    )


def intervention_overdue(
    village: str, case_id: str, kind: str, department: str, due_on: str
) -> tuple[str, str]:
    what = INTERVENTION_WORDS.get(kind, kind)
    who = DEPARTMENT_WORDS.get(department, department)
    return (
        "干预措施逾期",
        f"{place(village)} 一名儿童的{what}（{who}负责）应于 {due_on} 前完成，已逾期。"
        f"案件：{case_link(case_id)}",
    )


def emergency_access(village: str, case_id: str, username: str, expires_at: str) -> tuple[str, str]:
    # The staff member's username, not the child's anything; the reason stays in the
    # case's history, which the recipient reads under her own rights.
    return (
        "紧急查阅辖区外案件",
        f"用户 {username} 以紧急理由查阅了 {place(village)} 一名儿童的案件，"
        f"有效期至 {expires_at}。请核查其理由。案件：{case_link(case_id)}",
    )
