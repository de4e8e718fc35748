// Chinese messages for the API's stable error codes (`code` of an
// application/problem+json body). The server's own `detail` is the fallback for a code
// not listed here, and a generic message by HTTP status the last resort.

export const ERROR_MESSAGES: Record<string, string> = {
  // generic
  not_found: '请求的内容不存在',
  method_not_allowed: '不支持的请求方式',
  'http.error': '请求失败',
  invalid: '输入内容不正确',
  conflict: '数据冲突，请刷新后重试',
  'conflict.integrity': '数据冲突，请刷新后重试',
  'domain.error': '操作未被允许',
  rate_limited: '操作过于频繁，请稍后再试',
  'payload.too_large': '提交的内容过大',
  'request.malformed': '请求格式不正确',
  'request.integer_out_of_range': '数值超出允许范围',
  'request.number_not_finite': '数值不正确',
  'request.invalid_character': '内容中含有不允许的字符',
  'request.date_out_of_range': '日期超出允许范围',
  'request.null_not_allowed': '必填内容不能为空',
  'request.value_not_storable': '提交的数值或文字超出允许范围',
  'metrics.forbidden': '无权读取运行指标',
  'audit.append_only': '操作日志和登录日志只能追加，不能修改或删除',
  'auth.password_expired': '密码已超过有效期，请先修改密码',
  'auth.password_reused': '新密码不能与最近几次使用过的密码相同',
  'request.unknown_parameter': '查询条件中有不支持的参数',
  'request.invalid_filter': '查询条件不正确',
  'server.error': '服务器内部错误，请稍后重试',
  'server.database_unavailable': '系统繁忙，请稍后重试',
  'idempotency.key_reused': '重复提交的内容与上次不一致，请刷新后重新填写',

  // sign-in and identity
  'auth.required': '请先登录',
  'auth.token_invalid': '令牌无效、已过期或已吊销',
  'auth.csrf_failed': '页面已过期，请刷新后重试',
  'auth.forbidden': '无权执行此操作',
  'auth.invalid_credentials': '用户名或密码不正确',
  'auth.locked': '账号因多次密码错误已被临时锁定，请稍后再试',
  'auth.password_change_required': '请先修改初始密码',
  'auth.current_password_wrong': '当前密码不正确',
  'auth.password_unchanged': '新密码不能与当前密码相同',
  'auth.password_too_weak': '新密码强度不足：至少10位，且包含字母、数字等多种字符',
  'auth.password_contains_username': '新密码不能包含用户名',

  // reporter identifiers
  'reporter.phone_invalid': '不是有效的大陆手机号或固定电话号码',
  'reporter.id_number_invalid': '身份证号码校验失败',
  'reporter.credit_code_invalid': '统一社会信用代码校验失败',
  'reporter.enterprise_incomplete': '企业反映人须填写企业名称和统一社会信用代码',

  // dispatch catalogue
  'dispatch.not_found': '派单目录条目不存在',
  'dispatch.matter_required': '请填写事项名称',
  'dispatch.matter_exists': '该事项已在派单目录中',
  'dispatch.department_not_found': '主办或协办单位不存在或已停用',
  'dispatch.co_is_lead': '协办单位不能与主办单位相同',
  'dispatch.too_many_keywords': '关键词最多20个',
  'dispatch.import_columns': '导入文件须包含“事项”和“主办单位”两列',
  'dispatch.import_duplicate': '导入文件中有重复的事项',

  // cases
  'case.not_found': '案件不存在或无权查看',
  'case.channel_not_allowed': '掌上反映渠道由群众在手机上提交，工作人员不能代为选择',
  'case.title_empty': '请填写标题',
  'case.description_empty': '请填写诉求内容',
  'case.matter_not_found': '所选事项不存在或已停用',
  'case.stuck_department_not_found': '所选部门不存在或已停用',
  'case.hall_not_found': '所选大厅不存在',
  'case.window_not_found': '所选窗口不存在',
  'case.window_not_in_hall': '窗口不属于所选大厅',
  'case.location_incomplete': '经度和纬度须同时填写',
  'case.bbox_invalid': '区域应为“最小经度,最小纬度,最大经度,最大纬度”',

  // 12345 work orders
  'hotline.token_required': '12345接口只接受平台的专用令牌',
  'hotline.order_not_found': '未找到该12345工单',
  'hotline.order_withdrawn': '该12345工单已被撤回',
  'hotline.appeal_type_unknown': '无法识别的诉求类型',
  'hotline.time_limit_ambiguous': '办理时限只能给出工作日数或截止时间之一',
  'hotline.due_before_call': '办理截止时间早于来电时间',
  'haochaping.invalid_range': '结束日期早于开始日期',
  'haochaping.range_too_long': '一次最多导出366天的评价',
  'case.department_not_found': '目标单位不存在或已停用',
  'case.unknown_action': '未知的操作',
  'case.version_conflict': '案件已被他人修改，请刷新后重试',
  'case.action_forbidden': '您的角色不能执行此操作',
  'case.illegal_transition': '案件当前状态不能执行此操作，请刷新后重试',
  'case.not_your_unit': '该案件不在您所在单位办理',
  'case.return_to_self': '建议承办单位不能是本单位',
  'case.transfer_to_self': '不能转办给本单位',
  'case.recall_not_automatic': '只有仍在自动派往单位的自动派单可以撤回',
  'case.recall_window_passed': '自动派单已超过可撤回时限，请由承办单位退回或转办',
  'routing.unit_model_not_found': '模型记录不存在',
  'routing.unit_model_not_active': '只能回退正在使用的模型',
  // 并单 (merging duplicates)
  'case.merge_reason_required': '请填写并单理由',
  'case.merge_self': '不能把案件并入自身',
  'case.merge_already_merged': '该案件已并入其他案件',
  'case.merge_master_is_follower': '主案件本身已并入其他案件，请并入其主案件',
  'case.merge_not_open': '只有办理中的案件可以并单（含主案件）',
  'case.merge_has_followers': '该案件已有并入的案件，不能再并入其他案件',
  'case.merge_undo_forbidden': '只有督查员可以撤销并单',
  'case.merge_undo_reason_required': '请填写撤销并单的理由',
  'case.merge_not_merged': '该案件未并单',
  'case.merge_undo_too_late': '主案件的办理结果已告知本件反映人，不能撤销并单',
  'case.merged_follower': '该案件已并单，随主案件办理；如需单独办理请先撤销并单',
  'case.transfer_limit_reached': '转办次数已达上限，已提交督查协调（联席会议或工作专班）',
  'case.no_veto_fields_required':
    '窗口无否决权：办不了的须说明政策依据、可行的替代办法及由谁负责',
  'case.bad_rating_requires_reopen': '评价不满意的案件须重办，不能直接归档',
  'case.reopen_requires_dissatisfaction': '只有评价不满意的案件才能重办',
  'case.nothing_to_change': '没有需要修改的分类',
  // `case.<field>_required`: the guard of an action found a field missing
  'case.department_id_required': '请选择承办单位',
  'case.suggested_department_id_required': '请指明应由哪个单位承办',
  'case.reason_required': '请填写理由',
  'case.outcome_required': '请选择办理结果',
  'case.resolution_required': '请填写办理情况',
  'case.notification_text_required': '请填写一次性告知内容',
  'case.rating_required': '请选择评价等级',

  // attachments
  'attachment.not_found': '附件不存在',
  'attachment.invalid_id': '附件编号不正确',
  'attachment.case_closed': '已归档的案件不能再添加附件',
  'attachment.too_many': '附件数量已达上限',
  'attachment.too_large': '文件超过大小上限',
  'attachment.empty': '文件是空的',
  'attachment.corrupt': '文件已损坏，无法识别',
  'attachment.type_not_allowed': '只能上传图片（JPG、PNG、HEIC 等）或 PDF 文件',
  'attachment.pdf_encrypted': '不能上传加密的 PDF 文件',
  'attachment.pdf_active_content': 'PDF 含有脚本等活动内容，不能上传',

  // organisation and users (administration)
  'org.department_code_taken': '部门编码已被使用',
  'org.level_invalid': '层级不正确',
  'org.level_above_parent': '下级单位的层级不能高于上级',
  'user.username_taken': '用户名已被使用',
  'user.role_invalid': '角色不正确',
  'user.data_scope_invalid': '数据范围不正确',
  'user.department_not_found': '所属部门不存在',
  'user.not_found': '用户不存在',
  'user.cannot_demote_self': '不能修改自己的管理员角色或停用自己的账号',
  'org.department_not_found': '部门不存在',
  'org.parent_not_found': '上级部门不存在',
  'org.kind_invalid': '单位类别不正确',
  'org.hall_not_found': '大厅不存在',
  'matter.not_found': '事项不存在',
  'matter.code_taken': '事项编码已被使用',
  'matter.department_not_found': '主管部门不存在',
  'import.empty': '导入文件是空的',
  'import.encoding': '无法识别文件编码，请保存为 UTF-8 的 CSV 或 Excel 文件',
  'import.rows_rejected': '文件中有无效行，未导入任何数据，请按提示修改后重新导入',
  'import.too_large': '导入文件超过20MB上限，请拆分后导入',
  'import.type_not_allowed': '只能导入 Excel（.xlsx）或 CSV 文件',
  'import.xls_not_supported': '不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV 后导入',
  'import.mapping_invalid': '列映射格式不正确',
  'import.unknown_field': '列映射中有未知字段',
  'import.department_not_found': '受理单位不存在',
  'import.department_out_of_scope': '受理单位不在您的数据范围内',
  'import.channel_invalid': '渠道不正确',
  'print.font_missing': '服务器未安装中文字体，暂时无法生成 PDF，请联系管理员',
  'insights.invalid_range': '开始日期晚于结束日期',
  'insights.range_too_long': '时间跨度不能超过十年',
  'insights.invalid_period': '周期与期间编号不匹配',
  'disclosure.invalid_month': '月份格式应为“2026-11”',
  'disclosure.future_month': '该月份尚未开始',
  'token.not_found': '令牌不存在',
  'token.user_not_found': '令牌所属用户不存在',
  'token.permission_unknown': '未知的权限',
  'token.permission_beyond_role': '令牌的权限不能超出所属用户的角色',
  'token.case_permissions_refused': '管理员不能为他人签发可查看案件数据的令牌',
  'notice.not_found': '提醒不存在',

  // working-day calendar and time limits
  'calendar.date_out_of_range': '日期超出可设置的范围',
  'calendar.out_of_range': '日期超出工作日历的范围',
  'calendar.duplicate_date': '文件中有重复的日期',
  'calendar.empty_file': '文件是空的',
  'calendar.file_not_found': '找不到日历文件',
  'calendar.file_too_large': '日历文件过大',
  'calendar.incomplete_year': '该年份的放假安排不完整',
  'calendar.invalid_office_hours': '办公时间设置不正确',
  'calendar.kind_mismatch': '日期类型与星期不符（如调休上班日须为周末）',
  'calendar.malformed_date': '日期格式不正确',
  'calendar.malformed_row': '文件中有格式不正确的行',
  'calendar.missing_column': '文件缺少必需的列',
  'calendar.unknown_kind': '未知的日期类型',
  'calendar.unreadable': '无法读取日历文件',
  'calendar.year_mismatch': '文件中的年份与所选年份不一致',
  'sla.invalid_limit': '时限设置不正确',
  'sla.invalid_unit': '时限单位不正确',
  'sla.invalid_key': '时限策略缺少必填项',
  'sla.invalid_name': '请填写策略名称',
  'sla.invalid_priority': '优先级不正确',
  'sla.invalid_threshold': '黄灯预警阈值不正确',
  'sla.policy_duplicate': '已有条件相同的时限策略',
  'sla.policy_not_found': '时限策略不存在',
  'sla.no_policy': '没有适用的时限策略',
  'sla.unknown_preset': '未知的预设方案',
  'sla.no_deadline': '该案件没有办理时限',
  'sla.extension_after_deadline': '已超过办理时限，不能再申请延期',
  'sla.extension_pending': '已有待审批的延期申请',
  'sla.extension_not_later': '延期后的日期须晚于当前办结期限',
  'sla.no_pending_extension': '没有待审批的延期申请',
  'sla.extension_expired': '已超过原办理时限，延期申请不能再批准',
  'case.new_due_date_required': '请选择延期后的办结日期',
  'case.approve_required': '请选择批准或不批准',

  // lead and co-handling units (主办/协办), objections to a dispatch (退单)
  'case.co_handler_is_lead': '主办单位不能同时作为协办单位',
  'case.co_handler_duplicate': '协办单位不能重复选择',
  'case.co_handler_not_found': '没有待本单位回复的该项协办',
  'case.co_handler_id_required': '本单位有多项待回复的协办，请选择',
  'case.co_replies_outstanding': '协办单位尚未全部回复，请等待回复，或说明不等待回复即办结的理由',
  'case.co_handling_note_required': '请说明不等待协办回复即办结的理由',
  'case.reply_required': '请填写协办意见',
  'case.objection_pending': '已有待审批的退单申请',
  'case.no_pending_objection': '没有待审批的退单申请',
  'case.objection_own_unit': '不能审批本单位提出的退单申请',

  // outbox, templates, webhooks, notification preferences
  'outbox.not_found': '消息不存在',
  'outbox.not_retryable': '只有失败或等待重试的消息可以重新发送',
  'notify.template_not_found': '没有这种消息模板',
  'notify.template_variable_unknown': '模板中有未知变量，请只使用列出的变量',
  'notify.kind_unknown': '未知的消息类型',
  'notify.email_invalid': '电子邮箱格式不正确',
  'notify.email_missing': '请先填写电子邮箱',
  'notify.phone_missing': '请先填写手机号码',
  'webhook.url_not_allowed': '只能使用 http(s) 公网地址，不能使用本机或内网地址',
  'webhook.url_unresolvable': '无法解析该地址',
  'webhook.event_type_unknown': '请选择有效的事件类型',
  'webhook.not_found': '订阅不存在',
  'webhook.delivery_not_found': '投递记录不存在',
  'webhook.inactive': '该订阅已停用',
}

const BY_STATUS: Record<number, string> = {
  400: '输入内容不正确',
  401: '请先登录',
  403: '无权执行此操作',
  404: '请求的内容不存在',
  409: '操作与当前数据冲突，请刷新后重试',
  413: '提交的内容过大',
  422: '请求格式不正确',
  429: '操作过于频繁，请稍后再试',
  500: '服务器内部错误，请稍后重试',
  502: '服务暂时不可用，请稍后重试',
  503: '服务暂时不可用，请稍后重试',
  504: '服务响应超时，请稍后重试',
}

// Codes whose server detail carries a configured figure or a name (a length, a limit,
// the action refused): the detail is more precise than the dictionary's text.
const PREFER_DETAIL = new Set([
  'auth.password_too_weak',
  'import.rows_rejected',
  'import.unknown_field',
  'import.department_not_found',
  'sla.invalid_limit',
  'sla.invalid_threshold',
  'sla.invalid_key',
  'attachment.too_large',
  'attachment.too_many',
  'case.transfer_limit_reached',
  'case.illegal_transition',
  'case.co_replies_outstanding',
  'request.unknown_parameter',
])

// Warnings on an action button (`warning` of GET /cases/{id}/actions): said before the
// attempt, so they describe what will happen rather than what did.
const WARNINGS: Record<string, string> = {
  'case.transfer_limit_reached': '转办次数已达上限：再次转办将被拒绝，案件将提交督查协调（联席会议或工作专班）',
}

export function warningFor(code: string): string {
  return WARNINGS[code] ?? messageFor(code)
}

export const NETWORK_ERROR = '网络连接失败，请检查网络后重试'

/** The Chinese message for an error: the dictionary first, then the server's detail
 *  (already Chinese for domain errors), then a message by status. */
export function messageFor(code: string | undefined, detail?: string, status?: number): string {
  if (code && detail && detail !== code && PREFER_DETAIL.has(code)) return detail
  if (code && ERROR_MESSAGES[code]) return ERROR_MESSAGES[code]
  if (detail && detail !== code) return detail
  if (status && BY_STATUS[status]) return BY_STATUS[status]
  if (status && status >= 500) return BY_STATUS[500]
  return '操作失败'
}
