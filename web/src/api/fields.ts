// Which form field a refusal is about, so the message can sit next to that field.
import type { ApiError } from './client'
import { messageFor } from './errors'

// Codes whose problem document names no field (or names it differently from the form).
const CODE_FIELD: Record<string, string> = {
  'reporter.phone_invalid': 'reporter.phone',
  'reporter.id_number_invalid': 'reporter.id_number',
  'reporter.credit_code_invalid': 'reporter.credit_code',
  'case.matter_not_found': 'matter_id',
  'case.stuck_department_not_found': 'stuck_department_id',
  'case.hall_not_found': 'hall_id',
  'case.window_not_found': 'window_id',
  'case.window_not_in_hall': 'window_id',
  'case.title_empty': 'title',
  'case.description_empty': 'description',
  'case.channel_not_allowed': 'channel',
  'auth.current_password_wrong': 'current_password',
}

// Pydantic error types of a 422 (`request.malformed`), in Chinese.
const VALIDATION_TYPES: Record<string, string> = {
  missing: '必填',
  string_too_short: '不能为空',
  string_too_long: '内容过长',
  too_long: '条目过多',
  enum: '取值不在可选范围内',
  literal_error: '取值不在可选范围内',
  int_parsing: '须为整数',
  int_type: '须为整数',
  greater_than_equal: '数值过小',
  less_than_equal: '数值过大',
  extra_forbidden: '不支持的字段',
  date_from_datetime_parsing: '日期格式不正确',
  date_parsing: '日期格式不正确',
}

const FIELD_REQUIRED: Record<string, string> = {
  policy_explanation: '请说明不能办理的政策或法律依据',
  alternative: '请说明可行的替代办法（怎样能办成）',
  alternative_owner: '请说明由谁负责（单位或人员）',
}

/** `{field path: Chinese message}` for the fields a refusal names. */
export function fieldErrors(err: ApiError): Record<string, string> {
  const out: Record<string, string> = {}
  const errors = err.body.errors
  if (err.code === 'request.malformed' && Array.isArray(errors)) {
    for (const e of errors as { loc?: unknown[]; type?: string; msg?: string }[]) {
      const loc = (e.loc ?? []).filter((p) => p !== 'body').map(String)
      if (!loc.length) continue
      out[loc.join('.')] = VALIDATION_TYPES[e.type ?? ''] ?? '格式不正确'
    }
    return out
  }
  const mapped = CODE_FIELD[err.code]
  if (mapped) {
    out[mapped] = messageFor(err.code, err.detail, err.status)
    return out
  }
  if (err.code === 'case.no_veto_fields_required') {
    for (const f of err.fields) out[f] = FIELD_REQUIRED[f] ?? messageFor(err.code, err.detail, err.status)
    return out
  }
  for (const f of err.fields) out[f] = messageFor(err.code, err.detail, err.status)
  return out
}
