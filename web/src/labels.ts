// Chinese labels of the API's vocabularies. Mirrors `LABELS_ZH` in
// src/bancheng/cases/enums.py; the `Record<Enum, string>` types make a new enum value
// in the OpenAPI document fail the type check until it gets a label here.
import type { components } from '@/api/schema'

type S = components['schemas']

export const CHANNEL: Record<S['Channel'], string> = {
  window: '窗口来访',
  mobile: '掌上反映',
  hotline: '窗口热线',
  director_hotline: '局长热线',
  transfer_12345: '12345转办',
  callback: '回访发现',
  online: '政务网站',
}

export const KIND: Record<S['Kind'], string> = {
  consultation: '咨询',
  cannot_do: '办不成事',
  complaint: '投诉',
  report: '举报',
  help: '求助',
  suggestion: '建议',
}

export const DIFFICULTY: Record<S['Difficulty'], string> = {
  immediate: '即办',
  general: '一般',
  hard: '疑难',
}

export const BLOCKER_TYPE: Record<S['BlockerType'], string> = {
  missing_materials: '材料缺失',
  cross_department: '跨部门协调难',
  rigid_policy: '政策执行僵化',
  system_failure: '系统故障',
  legacy: '历史遗留问题',
  other: '其他',
}

export const NATURE: Record<S['Nature'], string> = {
  cannot_by_policy: '办不了',
  hard_to_do: '很难办',
}

export const STATE: Record<S['State'], string> = {
  registered: '已登记',
  dispatched: '已派单',
  accepted: '已签收',
  in_progress: '办理中',
  suspended: '已挂起(补正)',
  resolved: '已办结',
  feedback_given: '已反馈',
  evaluated: '已评价',
  closed: '已归档',
  reopened: '重办',
}

export const RATING: Record<S['Rating'], string> = {
  very_satisfied: '非常满意',
  satisfied: '满意',
  basically_satisfied: '基本满意',
  dissatisfied: '不满意',
  very_dissatisfied: '非常不满意',
}

export const OUTCOME: Record<S['Outcome'], string> = {
  done: '已办成',
  cannot_by_policy: '办不了（政策不允许，已说明替代办法）',
  explained: '已解释说明',
}

export type Light = 'green' | 'yellow' | 'red'
export const LIGHT: Record<Light, string> = {
  green: '正常',
  yellow: '临期',
  red: '超期',
}
export const LIGHT_COLOR: Record<Light, string> = {
  green: '#52c41a',
  yellow: '#faad14',
  red: '#f5222d',
}

export const EXTENSION_STATUS: Record<string, string> = {
  pending: '待审批',
  approved: '已批准',
  refused: '未批准',
}

export const TIME_UNIT: Record<string, string> = {
  working_days: '个工作日',
  working_hours: '个工作小时',
  calendar_hours: '小时（自然时间）',
}

export const DAY_KIND: Record<string, string> = {
  workday: '工作日',
  weekend: '周末',
  holiday: '法定节假日',
  makeup_workday: '调休上班',
}

export const REPORTER_TYPE: Record<S['ReporterType'], string> = {
  person: '个人',
  enterprise: '企业',
}

// Roles and data scopes: `ROLE_LABELS_ZH`, `DATA_SCOPE_LABELS_ZH` in org/permissions.py.
export const ROLE: Record<string, string> = {
  clerk: '受理员',
  handler: '承办人',
  supervisor: '督查员',
  leader: '领导',
  admin: '系统管理员',
}

// Permissions (org/permissions.py), e.g. for API tokens.
export const PERMISSION: Record<string, string> = {
  'case.read': '查看案件',
  'case.create': '登记案件',
  'case.act': '办理案件',
  'case.reveal_pii': '查看完整个人信息',
  'case.attach': '上传附件',
  'reporter.lookup': '按电话查询反映人',
  'notice.read': '查看提醒',
  'org.read': '查看组织机构',
  'org.manage': '管理组织机构',
  'user.manage': '管理用户',
  'audit.read': '查看日志',
  'calendar.read': '查看工作日历与时限',
  'calendar.manage': '管理工作日历与时限',
  'token.manage': '管理接口令牌',
  'sla.extension_decide': '审批延期',
  'sla.sweep': '运行时限巡检',
  'sla.recompute': '重算期限',
  'case.import': '导入历史案件与工单',
  'routing.models.read': '查看分派模型与学习记录',
  'routing.models.manage': '回退分派模型',
}

export const DATA_SCOPE: Record<string, string> = {
  all: '全部数据',
  dept_and_below: '本部门及以下',
  dept: '仅本部门',
  self: '仅本人',
  custom: '自定义部门',
}

export const DEPARTMENT_KIND: Record<string, string> = {
  government: '政府',
  agency: '部门',
  centre: '政务服务中心',
}

export const DEPARTMENT_LEVEL: Record<string, string> = {
  city: '市级',
  district: '区县',
  street: '乡镇街道',
  community: '社区村',
}

// Timeline events that are not lifecycle moves (the moves carry their own labels).
export const EVENT: Record<string, string> = {
  register: '登记',
  dispatch: '派单',
  resolve_on_spot: '现场办结',
  accept: '签收',
  recall: '撤回自动派单',
  return: '退回',
  start: '开始办理',
  transfer: '转办',
  suspend: '挂起待补正',
  resume: '恢复办理',
  resolve: '办结',
  give_feedback: '一次性告知反馈',
  evaluate: '录入评价',
  close: '归档',
  reopen: '重办',
  classify: '修改分类',
  attach: '上传附件',
  flag_supervision: '提交督查协调',
  request_extension: '申请延期',
  decide_extension: '审批延期',
  urge: '催办',
  supervise: '督办',
  order_reply: '回复督办',
  order_escalated: '督办升级',
  joint_meeting: '联席会议',
  task_force: '工作专班',
  yellow: '临期预警',
  red: '超期',
  rectification_opened: '差评整改任务生成',
  rectification_done: '完成整改',
  callback: '回访',
  rating_reminder: '评价提醒',
  qr_source: '扫码来源',
}

/** Element Plus tag type for a state. */
export const STATE_TAG: Record<S['State'], 'primary' | 'success' | 'warning' | 'danger' | 'info'> = {
  registered: 'info',
  dispatched: 'primary',
  accepted: 'primary',
  in_progress: 'warning',
  suspended: 'warning',
  resolved: 'success',
  feedback_given: 'success',
  evaluated: 'success',
  closed: 'info',
  reopened: 'danger',
}

/** Channels a member of staff may register (mobile reports come from the public form). */
export const STAFF_CHANNELS: S['Channel'][] = [
  'window',
  'hotline',
  'director_hotline',
  'transfer_12345',
  'callback',
  'online',
]

export function label(dict: Record<string, string>, code: string | null | undefined): string {
  if (code == null) return ''
  return dict[code] ?? code
}

export function options<K extends string>(dict: Record<K, string>): { value: K; label: string }[] {
  return (Object.keys(dict) as K[]).map((value) => ({ value, label: dict[value] }))
}
