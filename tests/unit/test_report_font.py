"""The PDF needs a CJK TrueType font from the OS; without one it says which to install."""

from __future__ import annotations

import pytest

from services.cases.reports import document


def test_without_a_cjk_font_the_pdf_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(document, "FONT", "NotRegisteredYet")
    monkeypatch.setattr(document, "CANDIDATES", ("/nonexistent/font.ttc",))

    with pytest.raises(document.NoCjkFontError, match="fonts-wqy-microhei"):
        document._font()
