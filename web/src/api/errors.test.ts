import { describe, expect, it } from 'vitest'
import { ERROR_MESSAGES, messageFor } from './errors'
import { ApiError } from './client'
import { fieldErrors } from './fields'

describe('messageFor', () => {
  it('maps a known code to its Chinese message', () => {
    expect(messageFor('case.not_found', 'Case 7 not found', 404)).toBe('案件不存在或无权查看')
    expect(messageFor('auth.invalid_credentials', '', 401)).toBe('用户名或密码不正确')
  })

  it('prefers the server detail for codes that carry configured figures', () => {
    expect(messageFor('case.transfer_limit_reached', '转办次数已达上限（3次），已提交督查协调', 409)).toBe(
      '转办次数已达上限（3次），已提交督查协调',
    )
    expect(messageFor('case.transfer_limit_reached')).toBe(ERROR_MESSAGES['case.transfer_limit_reached'])
  })

  it('falls back to the detail, then to the status', () => {
    expect(messageFor('brand.new_code', '新的拒绝理由', 409)).toBe('新的拒绝理由')
    expect(messageFor('brand.new_code', 'brand.new_code', 409)).toBe('操作与当前数据冲突，请刷新后重试')
    expect(messageFor(undefined, undefined, 502)).toBe('服务暂时不可用，请稍后重试')
    expect(messageFor(undefined, undefined, 507)).toBe('服务器内部错误，请稍后重试')
    expect(messageFor(undefined)).toBe('操作失败')
  })

  it('covers the dynamic guard codes of the lifecycle', () => {
    // `case.{field}_required`, one for each field a move needs (cases/lifecycle.py `Need`).
    const fields = ['department_id', 'suggested_department_id', 'reason', 'outcome', 'resolution', 'notification_text',
      'rating', 'approve', 'reply', 'end_as', 'new_due_date']
    for (const f of fields) {
      expect(ERROR_MESSAGES[`case.${f}_required`]).toBeTruthy()
    }
  })

  // tests/core/test_error_codes.py checks every code the server raises as a literal; these
  // reach the client through a constant, a class attribute or a helper's argument instead.
  it.each([
    'auth.invalid_credentials', 'auth.locked', 'audit.append_only', 'conflict.integrity', 'payload.too_large',
    'print.font_missing', 'request.malformed', 'request.integer_out_of_range', 'request.number_not_finite',
    'request.invalid_character', 'request.date_out_of_range', 'request.null_not_allowed', 'request.value_not_storable',
    'case.hall_not_found', 'case.matter_not_found', 'case.stuck_department_not_found', 'case.window_not_found',
    'case.no_veto_fields_required', 'case.merge_reason_required', 'case.merge_undo_reason_required',
  ])('has a message for %s, a code the server names indirectly', (code) => {
    expect(ERROR_MESSAGES[code]).toBeTruthy()
  })
})

describe('fieldErrors', () => {
  it('places an identifier refusal next to its field', () => {
    const e = new ApiError(400, 'reporter.phone_invalid', '不是有效的大陆手机号或固定电话号码', { field: undefined })
    expect(fieldErrors(e)).toEqual({ 'reporter.phone': '不是有效的大陆手机号或固定电话号码' })
  })

  it('uses the field named by the server', () => {
    const e = new ApiError(400, 'case.transfer_to_self', '不能转办给本单位', { field: 'department_id' })
    expect(fieldErrors(e)).toEqual({ department_id: '不能转办给本单位' })
  })

  it('names each missing no-veto field', () => {
    const e = new ApiError(400, 'case.no_veto_fields_required', '…', { fields: ['alternative', 'alternative_owner'] })
    expect(Object.keys(fieldErrors(e))).toEqual(['alternative', 'alternative_owner'])
    expect(fieldErrors(e).alternative).toContain('替代办法')
  })

  it('reads the locations of a malformed request', () => {
    const e = new ApiError(422, 'request.malformed', '请求格式不正确', {
      errors: [
        { loc: ['body', 'reporter', 'name'], type: 'string_too_short', msg: 'x' },
        { loc: ['body', 'title'], type: 'missing', msg: 'x' },
      ],
    })
    expect(fieldErrors(e)).toEqual({ 'reporter.name': '不能为空', title: '必填' })
  })
})
