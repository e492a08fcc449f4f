// The register's page (#/register): the survey spreadsheet (摸底排查表) imported, after a
// dry run that says row by row what would happen; its template; the register exported.
export default {
  "zh-CN": {
    nav_register: "摸底导入", register_title: "摸底排查表导入",
    register_intro: "先“试导入”查看每一行将如何处理（不写入），确认无误后再“导入”。同一文件重复导入不会重复建档。",
    register_template: "下载模板", register_export: "导出花名册 Excel",
    register_file: "摸底排查表（.xlsx 或 .csv）", register_scope: "导入辖区代码",
    register_dry_run: "试导入", register_import: "导入",
    register_confirm: "确认将 {name} 导入 {scope}？",
    register_choose_file: "请选择文件", register_offline: "导入需要联网，请连接网络后再试",
    register_row: "行", register_outcome: "结果", register_problems: "问题", register_duplicates: "疑似重复",
    outcome_created: "已建档", outcome_would_create: "将建档", outcome_already_imported: "已导入过", outcome_refused: "拒绝",
    register_open_case: "查看个案", register_working: "处理中…",
  },
  en: {
    nav_register: "Survey import", register_title: "Import a survey sheet",
    register_intro: "Try it first: the dry run says what each row would do and writes nothing. Then import. Importing the same file again creates nothing twice.",
    register_template: "Download the template", register_export: "Export the register (Excel)",
    register_file: "Survey sheet (.xlsx or .csv)", register_scope: "Import into (division code)",
    register_dry_run: "Dry run", register_import: "Import",
    register_confirm: "Import {name} into {scope}?",
    register_choose_file: "Choose a file", register_offline: "Importing needs the network; connect and try again",
    register_row: "Row", register_outcome: "Outcome", register_problems: "Problems", register_duplicates: "Likely duplicates",
    outcome_created: "Created", outcome_would_create: "Would create", outcome_already_imported: "Imported before", outcome_refused: "Refused",
    register_open_case: "Open the case", register_working: "Working…",
  },
};
