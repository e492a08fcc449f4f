"""A made-up but plausible identification record (the `identify` body) for one child.

The shares below follow what surveys of left-behind children report for Jiangxi: most
live with grandparents, most have both parents working in the coastal provinces, and a
small share has no guardian at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random
from typing import Any

from shared.jurisdictions import divisions

from ..domain.checks import add_years, is_valid_id_number
from . import names
from .places import Village

Json = dict[str, Any]

# Where parents from Nanchang's countryside work, weighted by how often.
WORK_LOCATIONS = {
    "广东省东莞市": 14,
    "广东省深圳市": 12,
    "广东省广州市": 9,
    "广东省佛山市": 6,
    "浙江省义乌市": 9,
    "浙江省宁波市": 6,
    "浙江省温州市": 5,
    "浙江省杭州市": 5,
    "上海市": 10,
    "福建省晋江市": 6,
    "福建省厦门市": 4,
    "福建省泉州市": 4,
    "江苏省苏州市": 6,
    "江苏省昆山市": 3,
    "北京市": 3,
    "湖南省长沙市": 2,
    "江西省南昌市红谷滩区": 4,
}
_UNABLE = {"deceased": 25, "unknown": 40, "incarcerated": 10, "lacks_capacity": 25}
_GUARDIAN_TYPES = {
    "grandparent": 78,
    "other_relative": 13,
    "entrusted_adult": 7,
    "institution": 1,
    "none": 1,
}
_SOURCES = {"school": 10, "self_report": 6, "hotline": 4, "police": 4, "other": 6, "survey": 70}
_HEALTH = ("哮喘", "先天性心脏病（已手术）", "营养不良", "癫痫", "弱视", "过敏性鼻炎")
_DISABILITY = ("听力残疾二级", "肢体残疾三级", "智力残疾三级", "视力残疾二级")
_CN_NUMBERS = "一二三四五六七八九十"
_GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三")
_PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "186",
    "187",
    "189",
    "199",
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class RecordMaker:
    """Makes identification records for one seeding run; ID numbers never repeat."""

    rng: Random
    today: date
    issued_ids: set[str] = field(default_factory=set)

    def record(self, village: Village) -> Json:
        """A valid identify body for a new child of `village`."""
        rng = self.rng
        identified_on = self._identified_on()
        family = names.surname(rng)
        return {
            "child": self._child(village, family, identified_on),
            "address": {"jurisdiction": village.code, "detail": address(rng, village)},
            "parents": self._parents(),
            "guardian": guardian(rng, family, village, _pick(rng, _GUARDIAN_TYPES)),
            "source": "survey" if (self.today - identified_on).days > 300 else _pick(rng, _SOURCES),
            "identified_on": identified_on.isoformat(),
        }

    def _identified_on(self) -> date:
        # Half the register comes from the door-to-door survey (摸底排查) a year ago; the
        # rest is found through the year.
        days_ago = (
            self.rng.randint(300, 364) if self.rng.random() < 0.5 else self.rng.randint(0, 364)
        )
        return self.today - timedelta(days=days_ago)

    def _child(self, village: Village, family: str, identified_on: date) -> Json:
        rng = self.rng
        sex = rng.choice(("female", "male"))
        age = rng.choices(range(1, 16), weights=(3, 4, 6, 6, 7, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5))[0]
        born = add_years(identified_on, -age) - timedelta(days=rng.randint(0, 364))
        return {
            "name": family + names.child_given_name(rng, sex),
            "sex": sex,
            "birth_date": born.isoformat(),
            "id_number": self._id_number(village, born, sex) if rng.random() < 0.12 else None,
            "hukou_registered": rng.random() > 0.015,
            "school": school(rng, village, age),
            "health": rng.choice(_HEALTH) if rng.random() < 0.08 else None,
            "disability": rng.choice(_DISABILITY) if rng.random() < 0.015 else None,
        }

    def _id_number(self, village: Village, born: date, sex: str) -> str:
        # GB 11643: region, birth date, a sequence whose last digit is odd for boys, check.
        while True:
            sequence = self.rng.randrange(0, 1000, 2) + (1 if sex == "male" else 0)
            body = f"{village.county}{born:%Y%m%d}{sequence:03d}"
            number = body + _check_char(body)
            if number not in self.issued_ids:
                self.issued_ids.add(number)
                assert is_valid_id_number(number)
                return number

    def _parents(self) -> list[Json]:
        rng = self.rng
        place = _pick(rng, WORK_LOCATIONS)
        # Couples mostly work in the same city.
        other_place = place if rng.random() < 0.7 else _pick(rng, WORK_LOCATIONS)
        draw = rng.random()
        if draw < 0.84:
            father, mother = _away(rng, place), _away(rng, other_place)
        elif draw < 0.93:
            father, mother = _away(rng, place), _unable(rng)
        else:
            father, mother = _unable(rng), _away(rng, place)
        return [{"relation": "father", **father}, {"relation": "mother", **mother}]


def school(rng: Random, village: Village, age: int) -> Json | None:
    """The school a child of `age` attends, or None below kindergarten age."""
    township = divisions()[village.township].name
    if age < 3:
        return None
    if age < 6:
        enrolled = rng.random() < 0.85
        return {
            "name": f"{township}中心幼儿园" if enrolled else None,
            "grade": ("小班", "中班", "大班")[age - 3] if enrolled else None,
            "status": "enrolled" if enrolled else "not_in_school",
        }
    if age == 15 and rng.random() < 0.4:
        county = divisions()[village.county].name
        return {"name": f"{county}第二中学", "grade": "高一", "status": "enrolled"}
    if age >= 12:
        name = f"{township}中学"
    else:
        # Smaller children often go to the village school (村小) rather than the centre.
        name = f"{village.name[:-1]}小学" if rng.random() < 0.3 else f"{township}中心小学"
    status = "dropped_out" if age >= 13 and rng.random() < 0.02 else "enrolled"
    return {"name": name, "grade": _GRADES[min(age - 6, 8)], "status": status}


def guardian(rng: Random, family: str, village: Village, kind: str) -> Json:
    """A guardian of `kind` for a child whose father's surname is `family`."""
    if kind == "none":
        return {"type": "none", "name": None, "relation": None, "phone": None, "capacity": None}
    if kind == "institution":
        county = divisions()[village.county].name
        return {
            "type": kind,
            "name": f"{county}未成年人救助保护中心",
            "relation": "institution",
            "phone": None,
            "capacity": "able",
        }
    relation, name = _relative(rng, family, kind)
    capacity = rng.choices(("able", "limited", "unable"), weights=(75, 23, 2))[0]
    if kind != "grandparent":
        capacity = "able" if rng.random() < 0.93 else "limited"
    return {
        "type": kind,
        "name": name,
        "relation": relation,
        "phone": phone(rng) if rng.random() < 0.75 else None,
        "capacity": capacity,
    }


def _relative(rng: Random, family: str, kind: str) -> tuple[str, str]:
    other = names.surname(rng)
    choices = {
        "grandparent": (
            ("grandmother", other, True),
            ("grandfather", family, False),
            ("maternal grandmother", other, True),
            ("maternal grandfather", other, False),
        ),
        "other_relative": (
            ("uncle", family, False),
            ("aunt", other, True),
            ("maternal aunt", other, True),
            ("maternal uncle", other, False),
        ),
        "entrusted_adult": (("neighbour", other, True), ("family friend", other, False)),
    }[kind]
    relation, surname, female = rng.choices(
        choices, weights=(5, 3, 2, 1) if len(choices) == 4 else (3, 2)
    )[0]
    return relation, names.older_name(rng, surname, female=female)


def phone(rng: Random) -> str:
    """A made-up 11-digit mobile number."""
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _away(rng: Random, place: str) -> Json:
    return {
        "status": "working_away",
        "work_location": place,
        "phone": phone(rng) if rng.random() < 0.7 else None,
    }


def _unable(rng: Random) -> Json:
    return {"status": _pick(rng, _UNABLE), "work_location": None, "phone": None}


def address(rng: Random, village: Village) -> str:
    """A household address in `village`: group and house number, or building and unit."""
    if village.name.endswith("社区"):
        return f"{village.name}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
    group = _CN_NUMBERS[rng.randrange(len(_CN_NUMBERS))]
    return f"{village.name}{group}组{rng.randint(1, 60)}号"


def _check_char(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def _pick(rng: Random, weights: dict[str, int]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]
