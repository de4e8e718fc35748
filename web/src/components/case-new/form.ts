import type { FormRules } from 'element-plus'
import type { BlockerType, CaseCreate, Channel, Difficulty, Kind } from '@/api/types'
import { creditCodeRule, idNumberRule, phoneRule } from '@/utils/validators'

// The new-case form (登记诉求): its blank state, the client-side checks, and what it sends.

export function blankCaseForm() {
  return {
    channel: 'window' as Channel,
    kind: 'cannot_do' as Kind,
    difficulty: 'general' as Difficulty,
    blocker_types: ['other'] as BlockerType[],
    title: '',
    description: '',
    matter_id: null as number | null,
    stuck_department_id: null as number | null,
    hall_id: null as number | null,
    window_id: null as number | null,
    address: '',
    latitude: null as number | null,
    longitude: null as number | null,
    datum: 'gcj02' as 'wgs84' | 'gcj02',
    reporter: {
      type: 'person' as 'person' | 'enterprise',
      name: '',
      phone: '',
      id_number: '',
      org_name: '',
      credit_code: '',
    },
  }
}

export type CaseForm = ReturnType<typeof blankCaseForm>

/** The checks while typing; an enterprise also names itself and its credit code. */
export function caseRules(isEnterprise: boolean): FormRules {
  return {
    channel: [{ required: true, message: '请选择受理渠道', trigger: 'change' }],
    kind: [{ required: true, message: '请选择诉求类型', trigger: 'change' }],
    title: [
      { required: true, message: '请填写标题', trigger: 'blur' },
      { max: 200, message: '标题不超过200字', trigger: 'blur' },
    ],
    description: [{ required: true, message: '请填写诉求内容', trigger: 'blur' }],
    blocker_types: [{ type: 'array', required: true, message: '请至少选择一个堵点类型', trigger: 'change' }],
    'reporter.name': [{ required: true, message: '请填写反映人姓名', trigger: 'blur' }],
    'reporter.phone': [{ required: true, message: '请填写联系电话', trigger: 'blur' }, phoneRule()],
    'reporter.id_number': [idNumberRule(true)],
    'reporter.org_name': isEnterprise ? [{ required: true, message: '请填写企业名称', trigger: 'blur' }] : [],
    'reporter.credit_code': isEnterprise ? [{ required: true, message: '请填写统一社会信用代码', trigger: 'blur' }, creditCodeRule(false)] : [],
  }
}

/** What POST /cases receives: trimmed, empty optional text as null, the first blocker
 *  type as the main one, a location only when one was given. */
export function casePayload(form: CaseForm): CaseCreate {
  const r = form.reporter
  const opt = (s: string) => (s.trim() ? s.trim() : null)
  return {
    channel: form.channel,
    kind: form.kind,
    difficulty: form.difficulty,
    blocker_type: form.blocker_types[0] ?? 'other',
    blocker_types: form.blocker_types.length ? [...form.blocker_types] : null,
    title: form.title.trim(),
    description: form.description.trim(),
    matter_id: form.matter_id,
    stuck_department_id: form.stuck_department_id,
    hall_id: form.hall_id,
    window_id: form.hall_id ? form.window_id : null,
    location:
      form.address.trim() || form.latitude !== null || form.longitude !== null
        ? {
            address: opt(form.address),
            latitude: form.latitude,
            longitude: form.longitude,
            datum: form.datum,
          }
        : null,
    reporter: {
      type: r.type,
      name: r.name.trim(),
      phone: r.phone.trim(),
      id_number: opt(r.id_number)?.toUpperCase() ?? null,
      org_name: r.type === 'enterprise' ? opt(r.org_name) : null,
      credit_code: r.type === 'enterprise' ? (opt(r.credit_code)?.toUpperCase() ?? null) : null,
    },
  }
}

/** A share as a percentage with one decimal (0.1234 → 12.3%). */
export function percent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`
}
