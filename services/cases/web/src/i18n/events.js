// The timeline's label of each event type of a case's history, in both languages: the one
// map of them (tests/unit/test_followers_cover_every_event.py reads it and fails when an
// event of the Case has no label here).
export const EVENT_LABELS = {
  identified: { "zh-CN": "识别", en: "Identified" },
  visited: { "zh-CN": "走访", en: "Visited" },
  guardian_changed: { "zh-CN": "监护变更", en: "Guardian changed" },
  intervention_opened: { "zh-CN": "启动干预", en: "Intervention opened" },
  intervention_progressed: { "zh-CN": "干预进展", en: "Intervention progress" },
  intervention_closed: { "zh-CN": "干预结案", en: "Intervention closed" },
  assigned: { "zh-CN": "分派", en: "Assigned" },
  transferred: { "zh-CN": "转移", en: "Transferred" },
  closed: { "zh-CN": "结案", en: "Closed" },
  reopened: { "zh-CN": "重新开启", en: "Reopened" },
  corrected: { "zh-CN": "更正", en: "Corrected" },
  school_changed: { "zh-CN": "就学变动", en: "School changed" },
  site_attended: { "zh-CN": "进入关爱场所", en: "Attends a care site" },
  site_left: { "zh-CN": "离开关爱场所", en: "Left the care site" },
  emergency_access_granted: { "zh-CN": "紧急查阅", en: "Emergency access" },
  duplicate_suspected: { "zh-CN": "疑似重复", en: "Likely duplicate" },
  duplicate_dismissed: { "zh-CN": "排除重复", en: "Not a duplicate" },
  merged_into: { "zh-CN": "合并至另一案件", en: "Merged into another case" },
  duplicate_merged: { "zh-CN": "合并重复案件", en: "Duplicate merged in" },
};
