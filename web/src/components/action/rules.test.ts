import { describe, expect, it } from 'vitest'
import { actionRules, departmentLabel, reasonLabel } from './rules'

describe('the rules of a move', () => {
  it('requires each asked field, chosen ones on change and typed ones on blur', () => {
    const r = actionRules('transfer', ['reason', 'department_id'])
    expect(Object.keys(r)).toEqual(['reason', 'department_id'])
    expect(r.reason).toEqual([{ required: true, message: '请填写转办理由', trigger: 'blur' }])
    expect(r.department_id).toEqual([{ required: true, message: '请选择单位', trigger: 'change' }])
  })

  it('has a message for a field it does not know and a blocker type for 分类', () => {
    expect(actionRules('resolve', ['something'])).toEqual({ something: [{ required: true, message: '请填写此项', trigger: 'blur' }] })
    expect(Object.keys(actionRules('classify', []))).toEqual(['blocker_types'])
  })

  it('names the reason and the target unit after the move', () => {
    expect(reasonLabel('suspend')).toBe('需补正的材料')
    expect(reasonLabel('accept')).toBe('理由')
    expect(departmentLabel('transfer')).toBe('转办给')
    expect(departmentLabel('other')).toBe('目标单位')
  })
})
