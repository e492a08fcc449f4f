// The forms' words: labels, hints, messages, every vocabulary's terms (as "v.<vocabulary>.<term>",
// the vocabularies of shared/vocabulary.py) and the server's known refusal reasons.

// Each vocabulary's terms: [zh-CN, en].
const TERMS = {
  sexes: { female: ["女", "Female"], male: ["男", "Male"] },
  school_statuses: { enrolled: ["在读", "Enrolled"], dropped_out: ["辍学", "Dropped out"], not_in_school: ["未入学", "Not in school"] },
  parent_relations: { father: ["父亲", "Father"], mother: ["母亲", "Mother"] },
  parent_statuses: {
    working_away: ["外出务工", "Working away"], at_home: ["在家", "At home"], deceased: ["死亡", "Deceased"],
    unknown: ["下落不明", "Whereabouts unknown"], incarcerated: ["服刑在押", "Incarcerated"],
    lacks_capacity: ["无监护能力", "Lacks capacity"],
  },
  guardian_types: {
    parent: ["父母", "Parent"], grandparent: ["祖父母/外祖父母", "Grandparent"], other_relative: ["其他亲属", "Other relative"],
    entrusted_adult: ["受委托成年人", "Entrusted adult"], institution: ["机构", "Institution"], none: ["无人监护", "No one"],
  },
  capacities: { able: ["有能力", "Able"], limited: ["能力有限", "Limited"], unable: ["无能力", "Unable"] },
  sources: {
    survey: ["摸底排查", "Survey"], school: ["学校", "School"], police: ["公安", "Police"], hotline: ["热线", "Hotline"],
    self_report: ["本人或家人报告", "Self-report"], other: ["其他", "Other"],
  },
  visit_modes: { home: ["入户", "Home"], phone: ["电话", "Phone"], video: ["视频", "Video"], school: ["学校", "School"] },
  living_conditions: { good: ["好", "Good"], fair: ["一般", "Fair"], poor: ["差", "Poor"] },
  school_attendance: {
    regular: ["正常上学", "Regular"], irregular: ["时常缺课", "Irregular"], dropped_out: ["辍学", "Dropped out"],
    not_applicable: ["不适用", "Not applicable"],
  },
  emotional_states: { stable: ["稳定", "Stable"], lonely: ["孤独", "Lonely"], distressed: ["焦虑痛苦", "Distressed"], withdrawn: ["孤僻退缩", "Withdrawn"] },
  safety_concerns: {
    neglect: ["疏于照料", "Neglect"], suspected_abuse: ["疑似受虐", "Suspected abuse"],
    domestic_violence: ["家庭暴力", "Domestic violence"], abandonment: ["遗弃", "Abandonment"], living_alone: ["独居", "Living alone"],
  },
  risk_levels: { low: ["低", "Low"], medium: ["中", "Medium"], high: ["高", "High"] },
  intervention_kinds: {
    admonition_talk: ["训诫谈话", "Admonition talk"], mandatory_report: ["强制报告", "Mandatory report"],
    temporary_guardianship: ["临时监护", "Temporary guardianship"], dropout_prevention: ["控辍保学", "Dropout prevention"],
    health_protection: ["健康保护", "Health protection"], household_registration: ["户籍登记", "Household registration"],
    psychological_support: ["心理关爱", "Psychological support"], material_assistance: ["生活救助", "Material assistance"],
    family_education: ["家庭教育指导", "Family education"], legal_aid: ["法律援助", "Legal aid"],
  },
  departments: {
    civil_affairs: ["民政", "Civil affairs"], education: ["教育", "Education"], police: ["公安", "Police"],
    health: ["卫健", "Health"], womens_federation: ["妇联", "Women's federation"], court: ["法院", "Court"],
  },
  urgencies: { routine: ["一般", "Routine"], urgent: ["紧急", "Urgent"], immediate: ["立即", "Immediate"] },
  closure_reasons: {
    parents_returned: ["父母返乡", "Parents returned"], reached_16: ["年满16周岁", "Reached 16"], moved_out: ["迁出", "Moved out"],
    no_longer_eligible: ["不再符合条件", "No longer eligible"], duplicate: ["重复登记", "Duplicate"],
  },
  erasure_bases: {
    registered_in_error: ["登记有误", "Registered in error"], retention_expired: ["保存期限届满", "Retention period over"],
    court_order: ["法院裁定", "Court order"], guardian_request: ["监护人依法申请", "Guardian's lawful request"],
  },
  school_changes: { enrolled: ["入学", "Enrolled"], returned: ["复学", "Returned to school"], dropped_out: ["辍学", "Dropped out"] },
  site_kinds: {
    children_home: ["儿童之家", "Children's home"], elderly_centre: ["老年之家（养老服务中心内）", "In an elderly-care centre"],
    school_based: ["依托学校", "School-based"], community_centre: ["社区服务中心", "Community service centre"],
    womens_federation_home: ["妇联儿童家园", "Women's federation children's home"],
  },
  site_statuses: { planned: ["规划中", "Planned"], built: ["已建成", "Built"], open: ["开放中", "Open"], closed: ["已关闭", "Closed"] },
  yes_no: { true: ["是", "Yes"], false: ["否", "No"] },
};

// The facts a correction may name (domain/corrections.py), [zh-CN, en].
const FACTS = {
  "child.name": ["儿童姓名", "Child's name"], "child.sex": ["性别", "Sex"], "child.birth_date": ["出生日期", "Date of birth"],
  "child.id_number": ["身份证号", "ID number"], "child.hukou_registered": ["已登记户口", "Household registered"],
  "child.school.name": ["学校", "School"], "child.school.grade": ["年级", "Grade"], "child.school.status": ["就学状态", "School status"],
  "address.detail": ["详细地址", "Address"], "guardian.name": ["监护人姓名", "Guardian's name"],
  "guardian.relation": ["与儿童关系", "Relation to the child"], "guardian.phone": ["监护人电话", "Guardian's phone"],
  "guardian.capacity": ["监护能力", "Guardian's capacity"], source: ["发现来源", "Source"], identified_on: ["识别日期", "Identified on"],
  "parents.status": ["状况", "Status"], "parents.work_location": ["务工地点", "Work location"], "parents.phone": ["电话", "Phone"],
};

const WORDS = {
  form_submit: ["提交", "Submit"], form_cancel: ["取消", "Cancel"], form_choose: ["请选择", "Choose…"],
  form_saved: ["已保存（第 {v} 版）", "Saved (version {v})"], form_identified: ["已识别建档", "Child identified"],
  form_queued: ["已存在本机，联网后自动发送", "Kept on this phone: it is sent when the connection returns"],
  form_stale: ["个案刚被他人修改，已重新载入；请核对后再次提交", "Someone else just changed the case; it has been reloaded. Check and submit again"],
  form_visit: ["记录走访", "Record a visit"], form_change_guardian: ["变更监护人", "Change guardian"],
  form_attend_site: ["进入关爱场所", "Attends a care site"], form_leave_site: ["离开关爱场所", "Leaves the care site"],
  form_site: ["关爱保护场所", "Care site"], form_attended_on: ["开始日期", "From"], form_left_on: ["离开日期", "Left on"],
  form_school_change: ["就学变化", "School change"], form_open_intervention: ["发起帮扶", "Open an intervention"],
  form_progress_intervention: ["记录帮扶进展", "Record progress"], form_close_intervention: ["办结帮扶", "Close an intervention"],
  form_assign: ["指派儿童主任", "Assign"], form_transfer: ["转移到其他村", "Transfer"], form_close_case: ["结案", "Close the case"],
  form_request_erasure: ["申请删除个人信息", "Ask to erase personal data"],
  form_approve_erasure: ["批准删除个人信息", "Approve the erasure"],
  form_decline_erasure: ["驳回删除申请", "Decline the erasure"],
  form_erasure_basis: ["删除依据", "Ground"],
  form_erasure_warning: [
    "批准后该儿童的姓名、身份证号、住址、电话及所有记录内容将永久无法读取（含备份）；日期、类型和统计数据保留。须由申请人以外的县级以上民政人员批准。",
    "Once approved, the child's name, ID number, address, phones and everything written about her become unreadable for good, backups included; dates, kinds and figures stay. Approved by a county or higher civil-affairs officer other than who asked.",
  ],
  form_erasure_pending: ["删除申请待批准（{u} 提出，依据：{b}）", "Erasure waiting for approval (asked by {u}, ground: {b})"],
  form_erased: ["个人信息已于 {d} 删除（依据：{b}；{u} 申请，{a} 批准）", "Personal data erased on {d} (ground: {b}; asked by {u}, approved by {a})"],
  form_confirm_review: ["复核通过", "Confirm"], form_return_review: ["退回修改", "Return with a comment"],
  form_review_comment: ["复核意见（需修改的内容）", "Comment (what to correct)"],
  form_resubmit: ["修改后重新提交", "Resubmit"],
  form_dismiss_duplicate: ["不是同一儿童", "Not the same child"],
  form_dismiss_duplicate_hint: [
    "核实后确认是两个不同的儿童：关闭疑似重复标记，两个个案照常保留。",
    "Checked: two different children. The likely-duplicate flag closes; both cases stay.",
  ],
  form_merge_duplicate: ["合并为同一儿童", "Merge: the same child"],
  form_merge_duplicate_hint: [
    "核实后确认是同一儿童：本个案以“重复建档”结案，并与另一个案互相关联，记录保留在双方经过中。",
    "Checked: the same child. This case closes as a duplicate of the other, linked both ways in their histories.",
  ],
  form_duplicate_other: ["疑似重复的个案", "The look-alike case"],
  form_duplicate_case: ["个案 {id}…", "Case {id}…"],
  form_reopen: ["重新立案", "Reopen the case"], form_correct: ["更正信息", "Correct a fact"], form_identify: ["识别儿童", "Identify a child"],
  form_visit_site: ["地点：关爱场所", "Held at a care site"], form_visit_site_none: ["不在关爱场所", "Not at a care site"],
  form_visit_site_attended: ["儿童所在的关爱场所", "The care site the child attends"],
  form_visited_on: ["走访日期", "Visit date"], form_mode: ["走访方式", "How"], form_guardian_present: ["监护人在场", "Guardian present"],
  form_living_conditions: ["生活状况", "Living conditions"], form_school_attendance: ["上学情况", "School attendance"],
  form_emotional_state: ["情绪状态", "Emotional state"], form_safety_concerns: ["安全隐患（如有）", "Safety concerns (if any)"],
  form_risk_level: ["风险等级", "Risk level"], form_notes: ["备注", "Notes"], form_next_visit_due: ["下次走访日期", "Next visit due"],
  form_next_visit_due_hint: ["不填则按风险等级自动计算", "Leave empty to set it by the risk level"],
  form_guardian_type: ["监护类型", "Guardian type"], form_guardian_name: ["监护人姓名", "Guardian's name"],
  form_guardian_relation: ["与儿童关系", "Relation to the child"], form_phone: ["电话", "Phone"], form_capacity: ["监护能力", "Capacity"],
  form_entrustment_signed: ["父母已签署委托监护确认书", "The parents signed the entrusted-guardianship confirmation"],
  form_entrustment_signed_on: ["委托监护确认书签订日期", "Entrusted-guardianship confirmation signed on"],
  form_entrustment_hint: ["父母书面委托他人照料时填写（委托监护确认书）", "When the parents entrusted the child in writing (the confirmation form)"],
  form_reason: ["原因", "Reason"], form_effective_on: ["生效日期", "Effective on"],
  form_school_change_kind: ["变化", "Change"], form_changed_on: ["日期", "Date"], form_school_name: ["学校", "School"],
  form_grade: ["年级", "Grade"], form_note: ["说明", "Note"],
  form_intervention: ["帮扶事项", "Intervention"], form_intervention_kind: ["帮扶类型", "Kind"], form_department: ["责任部门", "Department"],
  form_urgency: ["紧急程度", "Urgency"], form_description: ["需要做什么", "What is to be done"], form_opened_on: ["发起日期", "Opened on"],
  form_due_by: ["应办结日期", "Due by"], form_progress_note: ["进展", "Progress"], form_progressed_on: ["日期", "Date"],
  form_outcome: ["结果", "Outcome"], form_closed_on: ["办结日期", "Closed on"],
  form_no_open_intervention: ["本个案没有进行中的帮扶", "The case has no open intervention"],
  form_assignee: ["儿童主任用户名", "Child director's username"], form_village_code: ["村（居）代码", "Village code"],
  form_village_code_hint: ["12 位统计用区划代码", "The 12-digit statistical division code"],
  form_address_detail: ["详细地址", "Address"], form_transferred_on: ["转移日期", "Transferred on"],
  form_closure_reason: ["结案原因", "Reason for closing"], form_reopened_on: ["重新立案日期", "Reopened on"],
  form_fact: ["要更正的信息", "Fact to correct"], form_new_value: ["正确的值", "Correct value"], form_current_value: ["现在记录为：{v}", "Now recorded as: {v}"],
  form_eligibility_title: ["谁是农村留守儿童", "Who is a left-behind child"],
  form_eligibility_rule: ["未满 {age} 周岁，且父母双方外出务工，或一方外出务工、另一方无监护能力（{unable}）。",
    "Under {age}, and both parents work away from home, or one works away and the other cannot act as guardian ({unable})."],
  form_list_separator: ["、", ", "],
  form_eligibility_waiting: ["填写出生日期和父母状况后，这里显示是否符合条件", "Enter the date of birth and the parents' status to see whether the child qualifies"],
  form_eligible: ["符合留守儿童条件", "The child qualifies as left behind"], form_not_eligible: ["不符合条件", "Does not qualify"],
  form_eligibility_unknown: ["暂时无法核对条件（提交时服务器会核对）", "Cannot check now (the server checks on submit)"],
  form_child: ["儿童", "Child"], form_child_name: ["姓名", "Name"], form_sex: ["性别", "Sex"], form_birth_date: ["出生日期", "Date of birth"],
  form_id_number: ["身份证号（可不填）", "ID number (optional)"], form_hukou_registered: ["已登记户口", "Household registered"],
  form_school_status: ["就学状态", "School status"], form_health: ["健康状况（可不填）", "Health (optional)"],
  form_address: ["住址", "Address"], form_parent_status: ["状况", "Status"], form_work_location: ["务工地点", "Work location"],
  form_guardian: ["监护人", "Guardian"], form_source: ["发现来源", "Source"], form_identified_on: ["识别日期", "Identified on"],
  // The server's refusals, as the user reads them.
  reason_required: ["必填", "Required"], reason_null: ["必填", "Required"], reason_blank: ["不能为空", "Must not be blank"],
  reason_length: ["长度应为 {a} 到 {b} 个字", "Must be {a} to {b} characters long"],
  reason_one_of: ["请从列表中选择", "Choose one of the listed values"], reason_date: ["日期格式应为 年-月-日", "Must be a date (YYYY-MM-DD)"],
  reason_phone: ["电话号码无效", "Not a valid phone number"], reason_id_number: ["身份证号无效（18 位，校验位须正确）", "Not a valid 18-character ID number"],
  reason_required_unless_none: ["有人监护时必填", "Required unless there is no guardian"],
  reason_future: ["日期不能晚于今天", "The date is after today"], reason_before_identification: ["日期早于识别日期", "The date is before the child was identified"],
  reason_before_opening: ["日期早于帮扶发起日期", "The date is before the intervention opened"],
  reason_too_old: ["儿童在该日期已满 {age} 周岁", "The child was already {age} on that date"],
  reason_born_after: ["出生日期晚于识别日期", "The date of birth is after the identification date"],
  reason_no_parent_away: ["父母都没有外出务工", "Neither parent works away from home"],
  reason_other_parent_cares: ["一方外出务工，但另一方在家且有监护能力", "One parent works away but the other is at home and able to care"],
  reason_village_code: ["应为 12 位村级区划代码", "Must be a 12-digit village code"], reason_same_village: ["个案已在该村", "The case is already in that village"],
  reason_nothing_to_correct: ["与现有记录相同，无需更正", "The field already holds that value"],
  reason_unknown_field: ["未知字段", "Unknown field"], reason_parent_once: ["每位家长只能填写一次", "Each parent may be listed once"],
  reason_idempotency: ["此次提交与之前的不同，请重新提交", "This submission differs from the earlier one; submit again"],
};

// Known refusal reasons of the server (domain/values.py, checks.py, eligibility.py, the
// marshmallow messages) → the key that says them, with values caught from the text.
const REASONS = [
  [/^Missing data for required field\.$/, "reason_required"],
  [/^Field may not be null\.$/, "reason_null"],
  [/^Must not be blank\.$/, "reason_blank"],
  [/^Length must be between (?<a>\d+) and (?<b>\d+)\.$/, "reason_length"],
  [/^Must be one of: /, "reason_one_of"],
  [/(not a valid date|not a date of the form|Not a valid date)/, "reason_date"],
  [/not a valid phone number/i, "reason_phone"],
  [/valid 18-character (resident )?ID number/i, "reason_id_number"],
  [/^Required unless the type is none\.$/, "reason_required_unless_none"],
  [/is after today$/, "reason_future"],
  [/before the child was identified/, "reason_before_identification"],
  [/before the intervention opened/, "reason_before_opening"],
  [/^the child was already (?<age>\d+) on /, "reason_too_old"],
  [/^the birth date is after the identification date/, "reason_born_after"],
  [/^neither parent works away from home/, "reason_no_parent_away"],
  [/^one parent works away but the other is at home/, "reason_other_parent_cares"],
  [/12-digit village code/, "reason_village_code"],
  [/already in that village/, "reason_same_village"],
  [/already holds that value/, "reason_nothing_to_correct"],
  [/^Unknown field\.$/, "reason_unknown_field"],
  [/may be listed once/, "reason_parent_once"],
  [/Idempotency-Key/, "reason_idempotency"],
];

// The dictionary key (and its values) that says a server's reason, or null.
export function reasonKey(reason) {
  for (const [pattern, key] of REASONS) {
    const found = pattern.exec(String(reason));
    if (found) return { key, vars: found.groups || {} };
  }
  return null;
}

function dictionary(column) {
  const words = Object.fromEntries(Object.entries(WORDS).map(([key, pair]) => [key, pair[column]]));
  for (const [vocabulary, terms] of Object.entries(TERMS)) {
    for (const [value, pair] of Object.entries(terms)) words[`v.${vocabulary}.${value}`] = pair[column];
  }
  for (const [path, pair] of Object.entries(FACTS)) words[`form_field.${path}`] = pair[column];
  return words;
}

export default { "zh-CN": dictionary(0), en: dictionary(1) };
