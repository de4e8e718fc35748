import type { FormRules } from 'element-plus'

// The labels and the client-side checks of a move's form. Which fields are asked for comes
// from the server (`fieldsNeeded`); this only says what each is called and what the
// message beside an empty one is.

const REASON_LABEL: Record<string, string> = {
  return: '退回理由',
  transfer: '转办理由',
  recall: '撤回理由',
  suspend: '需补正的材料',
  request_extension: '延期理由',
  reopen: '重办原因',
  close: '直接归档理由',
  object: '退单理由',
  request_end: '认定依据',
  decide_objection: '不同意退单的理由',
  decide_end: '不批准的理由',
}
const DEPARTMENT_LABEL: Record<string, string> = { dispatch: '承办单位', transfer: '转办给' }

/** The label of the move's reason (退回理由, 延期理由…). */
export const reasonLabel = (action: string): string => REASON_LABEL[action] ?? '理由'
/** The label of the unit the move sends the case to. */
export const departmentLabel = (action: string): string => DEPARTMENT_LABEL[action] ?? '目标单位'

// The message beside an empty field the move asks for.
const MESSAGE: Record<string, string> = {
  department_id: '请选择单位',
  suggested_department_id: '请指明应由哪个单位承办',
  outcome: '请选择办理结果',
  resolution: '请填写办理情况',
  policy_explanation: '请说明不能办理的政策或法律依据',
  alternative: '请说明可行的替代办法',
  alternative_owner: '请说明由谁负责',
  notification_text: '请填写一次性告知内容',
  rating: '请选择评价等级',
  new_due_date: '请选择延期后的办结日期',
  approve: '请选择批准或不批准',
  reply: '请填写协办意见',
  co_handling_note: '请说明不等待协办回复即办结的理由',
  end_as: '请选择不合理诉求或无效诉求',
}
// Chosen (checked on change) rather than typed (checked on blur).
const CHOSEN = new Set(['department_id', 'suggested_department_id', 'outcome', 'rating', 'new_due_date', 'approve', 'end_as'])

/** The rules of a move's form: each field it asks for is required; 分类 needs a blocker type. */
export function actionRules(action: string, asked: Iterable<string>): FormRules {
  const r: FormRules = {}
  for (const field of asked) {
    const message = field === 'reason' ? `请填写${reasonLabel(action)}` : (MESSAGE[field] ?? '请填写此项')
    r[field] = [{ required: true, message, trigger: CHOSEN.has(field) ? 'change' : 'blur' }]
  }
  if (action === 'classify') r.blocker_types = [{ type: 'array', required: true, message: '请至少选择一个堵点类型', trigger: 'change' }]
  return r
}
