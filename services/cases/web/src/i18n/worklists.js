// The worklists: what needs doing, case by case.
export default {
  "zh-CN": {
    worklists: "工作清单",
    "overdue-visits": "走访逾期", "no-guardian": "无人监护", "mandatory-reports": "强制报告",
    "overdue-interventions": "干预逾期",
    "awaiting-review": "待我复核", "returned-for-correction": "退回待修改",
    "case.review.subject": "复核内容", "case.review.since": "等待自",
    "case.child.name": "儿童", "case.jurisdiction": "村（居）", "case.risk_level": "风险等级",
    "case.guardian_type": "监护类型", "case.next_visit_due": "应走访日期", "intervention.kind": "干预类型",
    "intervention.department": "责任部门", days_overdue: "逾期天数", worklist_empty: "清单为空",
    "intervention.due_by": "干预应办日期", "intervention.urgency": "紧急程度", record_visit: "记录走访",
    open_case: "打开个案", row_actions: "操作",
  },
  en: {
    worklists: "Worklists",
    "overdue-visits": "Overdue visits", "no-guardian": "No guardian",
    "mandatory-reports": "Mandatory reports", "overdue-interventions": "Overdue interventions",
    "awaiting-review": "Awaiting my review", "returned-for-correction": "Returned to me",
    "case.review.subject": "Review of", "case.review.since": "Waiting since",
    "case.child.name": "Child", "case.jurisdiction": "Village", "case.risk_level": "Risk level",
    "case.guardian_type": "Guardian type", "case.next_visit_due": "Visit due",
    "intervention.kind": "Intervention", "intervention.department": "Department",
    days_overdue: "Days overdue", worklist_empty: "Nothing on this list",
    "intervention.due_by": "Intervention due", "intervention.urgency": "Urgency", record_visit: "Record visit",
    open_case: "Open case", row_actions: "Actions",
  },
};
