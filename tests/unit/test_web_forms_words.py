"""The forms' words (services/cases/web/src/i18n/forms.js), read by node as the browser
reads them: every term of every vocabulary the rules serve and every correctable fact
has a label in both languages, and the server's eligibility refusals are ones the forms
translate (so a new term or a reworded rule fails here, not on a child director's phone)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.cases.api.rules import VOCABULARIES
from services.cases.domain.corrections import CORRECTABLE
from services.cases.domain.eligibility import check_eligible
from services.cases.domain.errors import NotEligibleError

FORMS = Path(__file__).resolve().parents[2] / "services/cases/web/src/i18n/forms.js"


def node(script: str) -> Any:
    executable = shutil.which("node")
    assert executable, "node is not installed: ./dev test installs it"
    out = subprocess.run(
        [executable, "--input-type=module", "-e", script],
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def words() -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = node(
        f"import words from {json.dumps(FORMS.as_uri())};"
        "process.stdout.write(JSON.stringify(words));"
    )
    return loaded


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_term_and_fact_has_a_label(words: dict[str, dict[str, str]], lang: str) -> None:
    # The named subsets are labelled by their whole vocabulary's words.
    subsets = {"concerns_of_harm", "entrustable_guardian_types"}
    wanted = {
        f"v.{name}.{term}"
        for name, terms in VOCABULARIES.items()
        if name not in subsets
        for term in terms
    }
    wanted |= {f"form_field.{path}" for path in CORRECTABLE}
    assert sorted(wanted - set(words[lang])) == []


def refusal(birth_date: str, father: str, mother: str) -> str:
    parents = [{"relation": "father", "status": father}, {"relation": "mother", "status": mother}]
    with pytest.raises(NotEligibleError) as refused:
        check_eligible(date.fromisoformat(birth_date), parents, date(2026, 11, 29))
    return str(refused.value)


def test_the_eligibility_refusals_are_translated() -> None:
    reasons = [
        refusal("2027-01-01", "working_away", "working_away"),
        refusal("2008-01-01", "working_away", "working_away"),
        refusal("2016-01-01", "at_home", "at_home"),
        refusal("2016-01-01", "working_away", "at_home"),
    ]
    keys = node(
        f"import {{ reasonKey }} from {json.dumps(FORMS.as_uri())};"
        f"const reasons = {json.dumps(reasons)};"
        "process.stdout.write(JSON.stringify(reasons.map((r) => reasonKey(r)?.key)));"
    )
    assert keys == [
        "reason_born_after",
        "reason_too_old",
        "reason_no_parent_away",
        "reason_other_parent_cares",
    ]
