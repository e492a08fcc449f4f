// The charts, in their own chunk: loaded by dynamic import after login, once the figures
// and the worklist are on screen. ECharts is imported piece by piece (only the charts and
// components drawn here), which keeps the chunk a fraction of the full library.
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { number } from "./format.js";

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

// Draws each chart of `specs` ({node, kind: "pie" | "bar" | "line", title, categories,
// series: [{name, values}]}) into its element; answers a function that disposes them.
// Which charts there are, and which are left out for want of data, is the page's choice.
export function drawCharts(specs) {
  const charts = specs.map((spec) => {
    const chart = echarts.init(spec.node);
    const title = { text: spec.title, textStyle: { fontSize: 14 } };
    if (spec.kind === "pie") {
      chart.setOption({
        title, tooltip: tooltip("item"),
        series: [{ type: "pie", radius: ["35%", "65%"],
          data: spec.categories.map((name, i) => ({ name, value: spec.series[0].values[i] })) }],
      });
    } else {
      const many = spec.series.length > 1;
      chart.setOption({
        title, tooltip: tooltip(spec.kind === "line" ? "axis" : "item"),
        legend: many ? { top: 24, data: spec.series.map((s) => s.name) } : undefined,
        grid: many ? { top: 60 } : undefined,
        xAxis: { type: "category", data: spec.categories }, yAxis: { type: "value" },
        series: spec.series.map((s) => ({ name: s.name, type: spec.kind, data: s.values })),
      });
    }
    return chart;
  });
  const resize = () => charts.forEach((c) => c.resize());
  window.addEventListener("resize", resize);
  return () => {
    window.removeEventListener("resize", resize);
    charts.forEach((c) => c.dispose());
  };
}
