// "My children": the caller's cases, searched and filtered.
export default {
  "zh-CN": {
    children_title: "我的儿童", search: "搜索", search_hint: "姓名或身份证号", filter: "筛选",
    any: "全部", overdue_only: "仅走访逾期", children_empty: "没有符合条件的儿童", sex: "性别", age: "年龄",
    age_years: "{n} 岁", village: "村（居）", clear_filters: "清除筛选",
  },
  en: {
    children_title: "My children", search: "Search", search_hint: "Name or ID number", filter: "Filter",
    any: "Any", overdue_only: "Overdue visits only", children_empty: "No child matches", sex: "Sex", age: "Age",
    age_years: "{n}", village: "Village", clear_filters: "Clear filters",
  },
};
