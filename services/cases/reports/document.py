"""The report as a PDF (reportlab): a title, each table beside the previous period, a bar
chart for the breakdowns, and the figures not yet available.

reportlab embeds TrueType fonts only; the Noto CJK fonts Debian ships are CFF-based
OpenType, which it cannot read, so the first CJK TrueType font found is used
(fonts-wqy-microhei or fonts-wqy-zenhei, installed by ./dev)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from .content import Report
from .content import Table as ReportTable

PDF = "application/pdf"
FONT = "CareLedgerCJK"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
)


class NoCjkFontError(RuntimeError):
    """Raised when no CJK TrueType font is installed (install fonts-wqy-microhei)."""


def _font() -> str:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path in CANDIDATES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return FONT
    raise NoCjkFontError(
        "no CJK TrueType font found (looked for " + ", ".join(CANDIDATES) + "): install "
        "fonts-wqy-microhei with the OS package manager (./dev does)"
    )


def render(report: Report, subtitle: str, missing_title: str, *, chinese: bool) -> bytes:
    """The PDF's bytes (Chinese lines wrap between any two characters, as it is written)."""
    font = _font()
    wrap = "CJK" if chinese else None
    title = ParagraphStyle(
        "title", fontName=font, fontSize=16, leading=22, spaceAfter=6, wordWrap=wrap
    )
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap=wrap)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    story: list[Any] = [Paragraph(report.title, title), Paragraph(subtitle, body)]
    for table in report.tables:
        story += [Paragraph(table.title, heading), _table(table, font)]
        if table.chart and table.rows:
            story.append(_chart(table, font))
    if report.missing:
        story += [Paragraph(missing_title, heading)]
        story += [Paragraph("· " + line, body) for line in report.missing]
    out = BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, title=report.title, leftMargin=18 * mm, rightMargin=18 * mm
    ).build(story)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if -1 <= value <= 1 else f"{value:.1f}"
    return str(value)


def _table(table: ReportTable, font: str) -> Table:
    data = [table.headers] + [[_cell(v) for v in row] for row in table.rows]
    out = Table(data, repeatRows=1, hAlign="LEFT")
    out.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return out


def _chart(table: ReportTable, font: str) -> Drawing:
    """Bars of this period's figure (column 1) per row."""
    height = 24 + 14 * len(table.rows)
    drawing = Drawing(170 * mm, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 45 * mm, 10, 110 * mm, height - 20
    chart.data = [[float(row[1] or 0) for row in table.rows][::-1]]
    chart.categoryAxis.categoryNames = [str(row[0]) for row in table.rows][::-1]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#3b6ea5")
    drawing.add(chart)
    return drawing
