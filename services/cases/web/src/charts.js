// The charts, in their own chunk: loaded by dynamic import after login, once the figures
// and the worklist are on screen. ECharts is imported piece by piece (only the charts and
// components drawn here), which keeps the chunk a fraction of the full library.
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { number } from "./format.js";
import { t } from "./i18n/index.js";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

// Chart tooltips built as elements rather than echarts' default HTML, whose inline
// style attributes the page's Content-Security-Policy refuses; `confine` drops the
// arrow, which is inline-styled HTML too. A colour set through `.style` is allowed.
function tooltipContent(params) {
  const rows = Array.isArray(params) ? params : [params];
  const box = document.createElement("div");
  box.className = "tip";
  if (Array.isArray(params) && rows.length) {
    const head = document.createElement("div");
    head.className = "tip-head";
    head.textContent = rows[0].axisValueLabel;
    box.append(head);
  }
  for (const p of rows) {
    const row = document.createElement("div");
    row.className = "tip-row";
    const dot = document.createElement("span");
    dot.className = "tip-dot";
    if (typeof p.color === "string") dot.style.backgroundColor = p.color;
    const label = Array.isArray(params) ? p.seriesName : p.name;
    const part = typeof p.percent === "number" ? ` (${p.percent}%)` : "";
    row.append(dot, `${label}: ${number(p.value) ?? p.value}${part}`);
    box.append(row);
  }
  return box;
}
const tooltip = (trigger) => ({ trigger, confine: true, formatter: tooltipContent });
const pairs = (object) => Object.entries(object || {}).map(([k, v]) => ({ name: t(k), value: v }));
export const TREND_KEYS = ["identified", "children_visited", "interventions_opened", "active_at_month_end"];

// Draws the three charts into the given elements; answers a function that disposes them.
export function drawCharts({ guardians, risk, trend }, summary, months) {
  const charts = [];
  const init = (node) => { const chart = echarts.init(node); charts.push(chart); return chart; };
  init(guardians).setOption({
    title: { text: t("guardians"), textStyle: { fontSize: 14 } }, tooltip: tooltip("item"),
    series: [{ type: "pie", radius: ["35%", "65%"], data: pairs(summary.guardian_types) }],
  });
  const riskData = pairs(summary.risk_levels);
  init(risk).setOption({
    title: { text: t("risk"), textStyle: { fontSize: 14 } }, tooltip: tooltip("item"),
    xAxis: { type: "category", data: riskData.map((d) => d.name) }, yAxis: { type: "value" },
    series: [{ type: "bar", data: riskData.map((d) => d.value) }],
  });
  init(trend).setOption({
    title: { text: t("trend"), textStyle: { fontSize: 14 } }, tooltip: tooltip("axis"),
    legend: { top: 24, data: TREND_KEYS.map((k) => t(k)) }, grid: { top: 60 },
    xAxis: { type: "category", data: months.map((m) => m.month) }, yAxis: { type: "value" },
    series: TREND_KEYS.map((k) => ({ name: t(k), type: "line", data: months.map((m) => m[k]) })),
  });
  const resize = () => charts.forEach((c) => c.resize());
  window.addEventListener("resize", resize);
  return () => {
    window.removeEventListener("resize", resize);
    charts.forEach((c) => c.dispose());
  };
}
