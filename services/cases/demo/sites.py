"""The demo city's care sites (关爱保护场所): about one village in three has one, most
open, some built and waiting to open, a few still planned and one closed; this year's
plan of new sites for the city and each county; and some children attending the open
site of their village. Written through the aggregates' own rules, by civil affairs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from shared.roles import Role

from ..domain import Case
from ..domain.site import Site, SitePlan
from .places import CITY, COUNTIES, villages
from .staff import DEMO_VILLAGE, all_users, county_username, director_username

_SHARE_WITH_SITE = 0.35  # villages with a site of some kind
_ATTENDING = 0.3  # children of a village with an open site who attend it
_KINDS = (
    ("children_home", "儿童之家", 6),
    ("elderly_centre", "老年之家关爱站", 2),
    ("school_based", "小学留守儿童之家", 2),
    ("community_centre", "社区服务中心关爱室", 1),
    ("womens_federation_home", "妇联儿童家园", 1),
)
_STAFF = ("刘芳", "陈丽", "张静", "王敏", "李娟", "杨洁", "黄艳", "周霞", "吴婷", "徐红")
_HOURS = (
    "周一至周五 16:00-18:30，周末 9:00-17:00",
    "放学后至 19:00，寒暑假全天",
    "周末及节假日 8:30-17:30",
)


@dataclass(frozen=True)
class DemoSites:
    """The sites and plans to save, and which site is open in which village."""

    aggregates: list[Site | SitePlan]
    open_in: dict[str, tuple[str, str]]  # village → (site id, opened on)


def demo_sites(rng: Random, today: date) -> DemoSites:
    """The demo city's sites and this year's plans (the same on every run but the ids)."""
    sites: list[Site | SitePlan] = []
    open_in: dict[str, tuple[str, str]] = {}
    kinds = [k for k, _, weight in _KINDS for _ in range(weight)]
    for village in villages():
        demo = village.code == DEMO_VILLAGE  # the demo director's village: an open site
        if rng.random() >= _SHARE_WITH_SITE and not demo:
            continue
        kind = rng.choice(kinds)
        suffix = next(label for k, label, _ in _KINDS if k == kind)
        civil = all_users()[county_username(Role.CIVIL_AFFAIRS, village.code[:6])].actor()
        site = Site.register(
            details={
                "name": f"{village.name}{suffix}",
                "kind": kind,
                "jurisdiction": village.code,
                "capacity": rng.choice((20, 30, 30, 40, 50, 60)),
                "staff": {
                    "name": rng.choice(_STAFF),
                    "phone": f"139{rng.randint(0, 99_999_999):08d}",
                },
                "opening_hours": rng.choice(_HOURS),
            },
            actor=civil,
            today=today,
        )
        _live(rng, site, today, civil, fate=0.5 if demo else None)
        if site.status == "open":
            open_in[village.code] = (str(site.id), site.dates["opened_on"])
        sites.append(site)
    city_civil = all_users()["civil-city"].actor()
    sites.append(SitePlan.draw_up(jurisdiction=CITY, year=today.year, target=60, actor=city_civil))
    for county in COUNTIES:
        civil = all_users()[county_username(Role.CIVIL_AFFAIRS, county)].actor()
        target = rng.randint(18, 26)
        sites.append(
            SitePlan.draw_up(jurisdiction=county, year=today.year, target=target, actor=civil)
        )
    return DemoSites(sites, open_in)


def _live(
    rng: Random, site: Site, today: date, civil: dict[str, str], *, fate: float | None = None
) -> None:
    """Moves a new site along its life: most open, some built or planned, a few closed."""
    fate = rng.random() if fate is None else fate
    if fate < 0.12:
        return  # still planned
    built = today - timedelta(days=rng.randint(20, 700))
    steps = [("built", built)]
    if fate >= 0.25:
        steps.append(("open", min(today, built + timedelta(days=rng.randint(7, 60)))))
    if fate >= 0.97:
        steps.append(("closed", min(today, steps[-1][1] + timedelta(days=rng.randint(30, 200)))))
    for status, day in steps:
        site.move(status=status, changed_on=day.isoformat(), actor=civil, today=today)


def attend(
    rng: Random, cases: Iterable[Case], open_in: dict[str, tuple[str, str]], today: date
) -> None:
    """Some children of a village with an open site attend it, from a day after both
    their identification and the site's opening."""
    for case in cases:
        found = open_in.get(case.jurisdiction)
        if case.status != "active" or found is None or rng.random() >= _ATTENDING:
            continue
        site_id, opened_on = found
        start = max(date.fromisoformat(opened_on), date.fromisoformat(case.record["identified_on"]))
        if start > today:
            continue
        day = min(today, start + timedelta(days=rng.randint(0, 60)))
        director = all_users()[director_username(case.jurisdiction)].actor()
        case.attend_site(
            site_id=site_id,
            site_jurisdiction=case.jurisdiction,
            attended_on=day.isoformat(),
            actor=director,
            today=today,
        )
