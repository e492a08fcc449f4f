// The periodic report (定期通报) of the overview's jurisdiction, for download: a period
// (the quarters of this year and the last, those years, the last twelve months) and PDF
// or Excel, in the page's language (docs/report.md). The server makes it: not offline.
import { query } from "../api.js";
import { el } from "../dom.js";
import { lang, t } from "../i18n/index.js";
import { saveFile } from "../save.js";

// The periods one may ask for on `day` ("YYYY-MM-DD"), the latest first, and the one
// chosen by default: the last quarter that has ended (this one in its first days too).
export function reportPeriods(day) {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  const quarter = Math.ceil(month / 3);
  const quarters = [];
  for (let y = year, q = quarter; quarters.length < 4 + quarter; q -= 1) {
    if (q === 0) { y -= 1; q = 4; }
    quarters.push(`${y}-Q${q}`);
  }
  const months = [];
  for (let y = year, m = month; months.length < 12; m -= 1) {
    if (m === 0) { y -= 1; m = 12; }
    months.push(`${y}-${String(m).padStart(2, "0")}`);
  }
  return { periods: [...quarters, String(year), String(year - 1), ...months], chosen: quarters[1] };
}


// `day`: the day the overview shows (today, by the server's clock, unless one was asked).
export function reportSection(scope, place, day) {
  const { periods, chosen } = reportPeriods(day);
  const select = el("select", { id: "report-period", name: "period" },
    ...periods.map((p) => el("option", { value: p, selected: p === chosen }, p)));
  const status = el("p", { id: "report-status", role: "status", "aria-live": "polite" });
  const language = () => (lang() === "en" ? "en" : "zh");
  const fetchAs = (format) => async () => {
    const period = select.value;
    status.textContent = t("report_making");
    try {
      await saveFile(`/api/v1/reports${query({ scope, period, format, lang: language() })}`,
        `${place}-${t("report_title")}-${period}.${format}`);
      status.textContent = t("report_saved", { period });
    } catch (error) {
      status.textContent = `${t("report_failed")}: ${error.status === 0 ? t("error_network") : (error.detail || error.status)}`;
    }
  };
  return el("section", { className: "report no-print", id: "report", "aria-labelledby": "report-heading" },
    el("h2", { id: "report-heading" }, t("report_title")),
    el("p", {}, t("report_intro")),
    el("label", { className: "inline" }, el("span", {}, t("report_period")), select),
    el("div", { className: "actions" },
      el("button", { type: "button", id: "report-pdf", on: { click: fetchAs("pdf") } }, t("report_pdf")),
      el("button", { type: "button", id: "report-xlsx", on: { click: fetchAs("xlsx") } }, t("report_xlsx"))),
    status);
}
