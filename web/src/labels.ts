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

type OfflineRatingChannel = NonNullable<S['ActionIn']['rating_channel']>
/** The offline channels a rating entered by staff was given on (好差评 评价渠道). */
export const OFFLINE_RATING_CHANNEL: Record<OfflineRatingChannel, string> = {
  hall: '窗口（评价器）',
  terminal: '自助终端',
  hotline_12345: '12345热线',
}
/** Every 好差评 channel a rating was given on (integrations/haochaping.CHANNELS). */
export const RATING_CHANNEL: Record<string, string> = {
  qr: '二维码（码上评）',
  web: '政务服务网',
  app: '政务服务APP',
  mini_program: '小程序',
  sms: '短信',
  ...OFFLINE_RATING_CHANNEL,
}

export const OUTCOME: Record<S['Outcome'], string> = {
  done: '已办成',
  cannot_by_policy: '办不了（政策不允许，已说明替代办法）',
  explained: '已解释说明',
  unreasonable: '不合理诉求',
  invalid: '无效诉求',
}
// Ended as unreasonable or invalid only through a request a supervisor approves.
export const ENDED_OUTCOMES: readonly string[] = ['unreasonable', 'invalid']
export const END_AS: Record<'unreasonable' | 'invalid', string> = {
  unreasonable: '不合理诉求（超出法律政策规定的要求）',
  invalid: '无效诉求（无具体诉求、无法联系等）',
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
export const EXTENSION_STATUS_TAG = { pending: 'warning', approved: 'success', refused: 'danger' } as const

export const CO_HANDLER_STATUS: Record<string, string> = {
  pending: '待回复',
  replied: '已回复',
  cancelled: '已取消（重新派单）',
  lapsed: '未回复即办结',
}

export const OBJECTION_STATUS: Record<string, string> = {
  pending: '待审批',
  accepted: '已同意',
  rejected: '不同意',
  lapsed: '已失效',
}
export const OBJECTION_STATUS_TAG = { pending: 'warning', accepted: 'success', rejected: 'danger' } as const

export const CALLBACK_STATUS: Record<string, string> = { open: '待回访', reached: '已联系', unreachable: '无法联系', refused: '拒绝回访' }
export const CALLBACK_STATUS_TAG = { open: 'primary', reached: 'success', unreachable: 'info', refused: 'warning' } as const

export const RECTIFICATION_STATUS: Record<string, string> = { open: '整改中', done: '已整改', appealed: '申诉待审', overturned: '申诉成立' }
export const RECTIFICATION_STATUS_TAG = { open: 'danger', done: 'success', appealed: 'warning', overturned: 'info' } as const

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
  'case.merge': '并单',
  'case.merge_undo': '撤销并单',
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
  'callback.work': '办理回访',
  'feedback.read': '查看评价与整改',
  'feedback.rectify': '差评整改',
  'feedback.appeal_decide': '审核差评申诉',
  'qr.print': '打印二维码',
  'insights.read': '查看统计分析',
  'insights.manage': '管理统计与汇总',
  'case.export': '导出案件',
  'supervision.read': '查看督办与会商',
  'supervision.issue': '下发督办单',
  'supervision.reply': '答复督办单',
  'knowledge.read': '查看案例库',
  'knowledge.curate': '维护案例库',
  'systemic.read': '查看共性问题',
  'systemic.manage': '管理共性问题',
  'hotline.push': '12345工单推送',
  'open311.submit': 'Open311 诉求提交',
  'haochaping.export': '导出好差评数据',
  'outbox.read': '查看消息投递',
  'outbox.manage': '重发消息',
  'notify.manage': '管理消息模板与订阅',
  'reply_template.manage': '管理答复模板',
  'rating.manage': '管理评价指标',
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

/** What a code the label table does not know reads as. */
export const UNKNOWN = '未知'

/** The Chinese name of `code` in `dict`; a code the table does not know reads 未知 (no
 *  raw code on screen: ``tests/core/test_console_labels.py`` holds the tables complete). */
export function label(dict: Record<string, string>, code: string | null | undefined): string {
  if (code == null) return ''
  return dict[code] ?? UNKNOWN
}

export function options<K extends string>(dict: Record<K, string>): { value: K; label: string }[] {
  return (Object.keys(dict) as K[]).map((value) => ({ value, label: dict[value] }))
}

// --- outward messages (outbox, templates, webhooks; src/bancheng/notify) ---------------

/** Outbox row states (`outbox_messages.state`). */
export type OutboxState = 'pending' | 'sending' | 'sent' | 'dead'
export const OUTBOX_STATE: Record<OutboxState, string> = {
  pending: '待发送',
  sending: '发送中',
  sent: '已送达',
  dead: '发送失败',
}

/** Delivery channels (`bancheng.outbox.channels`). */
export const OUTBOX_CHANNEL: Record<string, string> = {
  sms: '短信',
  email: '邮件',
  webhook: 'Webhook',
  inapp: '站内',
  log: '日志（开发）',
}

/** The channels a member of staff chooses per kind of message (`STAFF_CHANNELS`). */
export type StaffChannel = 'inapp' | 'email' | 'sms'
export const STAFF_CHANNEL: Record<StaffChannel, string> = {
  inapp: '站内',
  email: '邮件',
  sms: '短信',
}

/** The message kinds with a template (`DEFAULTS` in notify/templates.py). */
export const MESSAGE_KIND: Record<string, string> = {
  'reporter.accepted': '受理告知',
  'reporter.dispatched': '派单告知',
  'reporter.materials': '补正材料通知',
  'reporter.resolved': '办结告知（一次性告知）',
  'reporter.rating_invite': '评价邀请',
  'reporter.rating_reminder': '评价提醒',
  'reporter.rating_closed': '评价期结束',
  'reporter.rectified': '整改结果告知',
  'staff.light_yellow': '黄灯预警',
  'staff.light_red': '红灯超期',
  'staff.order_new': '新督办单',
  'staff.order_escalated': '督办升级',
  'staff.meeting_decision': '会议议定事项',
  'staff.co_handling_requested': '协办请求',
  'staff.objection_raised': '退单申请',
  'staff.extension_requested': '延期申请',
  'staff.extension_decided': '延期审批结果',
  'staff.material_uploaded': '群众补正材料',
}

/** Who a template speaks to. */
export const TEMPLATE_AUDIENCE: Record<string, string> = {
  reporter: '群众',
  staff: '工作人员',
}

/** Webhook event types (`EVENT_TYPES` in notify/webhooks.py; the API also gives labels). */
export const WEBHOOK_EVENT: Record<string, string> = {
  'case.created': '案件登记',
  'case.state_changed': '案件状态变化',
  'case.resolved': '案件办结',
  'case.evaluated': '群众评价',
  'rectification.opened': '差评整改开始',
  'rectification.completed': '差评整改完成',
  'order.issued': '督办单下达',
  'order.escalated': '督办单升级',
  'order.replied': '督办单回复',
  'order.closed': '督办单办结',
}

/** In-app notice kinds (`notice.<kind>` outbox rows). */
export const NOTICE_KIND: Record<string, string> = {
  light_yellow: '黄灯预警',
  light_red: '红灯超期',
  due_soon: '预警催办',
  overdue: '超期催办',
  escalation: '超期升级督办',
  order_new: '新督办单',
  order_escalated: '督办升级',
  meeting_decision: '会议议定事项',
  co_handling_requested: '协办请求',
  objection_raised: '退单申请',
  extension_requested: '延期申请',
  extension_decided: '延期审批结果',
  material_uploaded: '群众补正材料',
  supervision_order: '督办单',
  supervision_reply: '督办回复',
  decision_overdue: '议定事项逾期',
  rectification: '差评整改',
  rating_reminder: '评价提醒',
}

/** Results pushed to the 12345 platform (`hotline.<result>`). */
export const HOTLINE_RESULT: Record<string, string> = {
  accepted: '已签收',
  returned: '已退回',
  extension_requested: '申请延期',
  extension_decided: '延期审批',
  resolved: '已办结',
  replied: '已答复',
  rated: '已评价',
}

/** Stages of an evaluation pushed to the 好差评 system (`haochaping.<stage>`). */
export const HAOCHAPING_STAGE: Record<string, string> = {
  evaluated: '评价',
  rectified: '整改',
  revisited: '回访',
  overturned: '申诉改判',
}
