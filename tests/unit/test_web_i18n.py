"""The web app's dictionaries (services/cases/web/src/i18n/<area>.js, merged by index.js):
zh-CN and English hold the same keys, in every area, and no two areas give one key two
different meanings. Read by node, as the browser reads them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

I18N = Path(__file__).resolve().parents[2] / "services/cases/web/src/i18n/index.js"
SCRIPT = f"""
import {{ AREAS, LANGUAGES }} from {json.dumps(I18N.as_uri())};
process.stdout.write(JSON.stringify({{ AREAS, LANGUAGES }}));
"""


@pytest.fixture(scope="module")
def dictionaries() -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is not installed: ./dev test installs it"
    out = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT], capture_output=True, check=True, text=True
    )
    loaded: dict[str, Any] = json.loads(out.stdout)
    return loaded


def test_every_area_holds_the_same_keys_in_both_languages(dictionaries: dict[str, Any]) -> None:
    assert dictionaries["LANGUAGES"] == ["zh-CN", "en"]
    for name, area in dictionaries["AREAS"].items():
        zh, en = set(area["zh-CN"]), set(area["en"])
        assert zh - en == set(), f"{name}: in zh-CN only"
        assert en - zh == set(), f"{name}: in English only"


def test_no_key_means_two_things_in_two_areas(dictionaries: dict[str, Any]) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for name, area in dictionaries["AREAS"].items():
        for key, text in area["en"].items():
            if key in seen:
                assert seen[key][1] == text, f"{key}: {seen[key][0]} and {name} differ"
            seen[key] = (name, text)


# Refusals whose `detail` names the very value (which field, which rule of eligibility):
# the web app shows the server's reasons beside the fields instead of one general line.
SAID_BY_THE_DETAIL = {"invalid_value", "not_eligible", "bad_query"}


def test_every_refusal_the_case_api_can_answer_is_worded_in_both_languages(
    dictionaries: dict[str, Any],
) -> None:
    from services.cases.api import errors
    from shared.http.problems import problem_code

    answered = {*errors.STATUS_OF, *_handled_apart(errors)}
    codes = {problem_code(error) for error in answered} - SAID_BY_THE_DETAIL
    words = {key for area in dictionaries["AREAS"].values() for key in area["zh-CN"]}
    english = {key for area in dictionaries["AREAS"].values() for key in area["en"]}
    assert sorted(c for c in codes if f"code_{c}" not in words) == []
    assert sorted(c for c in codes if f"code_{c}" not in english) == []


def _handled_apart(errors: Any) -> set[type[Exception]]:
    """The error classes errors.py answers with handlers of their own."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(errors))
    names = {
        decorator.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call)
        and decorator.args
        and isinstance(decorator.args[0], ast.Name)
    }
    return {getattr(errors, name) for name in names}
