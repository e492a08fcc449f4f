// One case: its state, its timeline.
export default {
  "zh-CN": {
    case: "个案", version: "版本", as_of: "截至", state_at: "第 {v} 版（{t}）时的状态", state_now: "当前状态",
    timeline: "经过", status: "状态", jurisdiction: "辖区", guardian_type: "监护类型", risk_level: "风险等级",
    last_visit_on: "最近走访", next_visit_due: "下次走访", school_status: "就学状态",
    assigned_to: "儿童主任", child: "儿童", identified_on: "识别日期", due: "应办日期",
    kind: "类型", department: "责任部门", actions: "操作",
  },
  en: {
    case: "Case", version: "Version", as_of: "As of", state_at: "State at version {v} ({t})",
    state_now: "Current state", timeline: "Timeline", status: "Status", jurisdiction: "Jurisdiction",
    guardian_type: "Guardian type", risk_level: "Risk level", last_visit_on: "Last visit",
    next_visit_due: "Next visit due", school_status: "School", assigned_to: "Child director",
    child: "Child", identified_on: "Identified on", due: "Due", kind: "Kind", department: "Department",
    actions: "Actions",
  },
};
