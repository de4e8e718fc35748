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
    for (const f of ['department_id', 'suggested_department_id', 'reason', 'outcome', 'resolution', 'notification_text', 'rating']) {
      expect(ERROR_MESSAGES[`case.${f}_required`]).toBeTruthy()
    }
  })

  it('has a message for every stable code of the back end', () => {
    // Kept in step with `grep -rhoE '"[a-z_]+\.[a-z_]+"' src/bancheng` (error codes only).
    const codes = [
      'attachment.case_closed', 'attachment.corrupt', 'attachment.empty', 'attachment.invalid_id',
      'attachment.not_found', 'attachment.pdf_active_content', 'attachment.pdf_encrypted',
      'attachment.too_large', 'attachment.too_many', 'attachment.type_not_allowed',
      'auth.csrf_failed', 'auth.current_password_wrong', 'auth.forbidden', 'auth.invalid_credentials',
      'auth.locked', 'auth.password_change_required', 'auth.password_contains_username',
      'auth.password_expired', 'auth.password_reused', 'audit.append_only', 'metrics.forbidden',
      'auth.password_too_weak', 'auth.password_unchanged', 'auth.required', 'auth.token_invalid',
      'case.action_forbidden', 'case.bad_rating_requires_reopen', 'case.channel_not_allowed',
      'case.department_not_found', 'case.description_empty', 'case.hall_not_found',
      'case.illegal_transition', 'case.matter_not_found', 'case.no_veto_fields_required',
      'case.not_found', 'case.not_your_unit', 'case.nothing_to_change',
      'case.reopen_requires_dissatisfaction', 'case.return_to_self', 'case.stuck_department_not_found',
      'case.title_empty', 'case.transfer_limit_reached', 'case.transfer_to_self', 'case.unknown_action',
      'case.version_conflict', 'case.window_not_found', 'case.window_not_in_hall', 'conflict.integrity',
      'case.co_handler_is_lead', 'case.co_handler_duplicate', 'case.co_handler_not_found',
      'case.co_handler_id_required', 'case.co_replies_outstanding', 'case.reply_required',
      'case.objection_pending', 'case.no_pending_objection', 'case.objection_own_unit',
      'idempotency.key_reused', 'payload.too_large', 'reporter.credit_code_invalid',
      'reporter.enterprise_incomplete', 'reporter.id_number_invalid', 'reporter.phone_invalid',
      'request.invalid_filter', 'request.malformed', 'request.unknown_parameter',
      'request.integer_out_of_range', 'request.number_not_finite', 'request.invalid_character',
      'request.date_out_of_range', 'request.null_not_allowed', 'request.value_not_storable',
      'import.rows_rejected', 'import.too_large', 'import.type_not_allowed', 'import.xls_not_supported',
      'import.mapping_invalid', 'import.unknown_field', 'import.department_not_found',
      'import.department_out_of_scope', 'import.channel_invalid', 'import.empty', 'import.encoding',
      'print.font_missing', 'insights.invalid_range', 'insights.range_too_long', 'insights.invalid_period',
      'outbox.not_found', 'outbox.not_retryable', 'notify.template_not_found',
      'notify.template_variable_unknown', 'notify.kind_unknown', 'notify.email_invalid',
      'notify.email_missing', 'notify.phone_missing', 'webhook.url_not_allowed',
      'webhook.url_unresolvable', 'webhook.event_type_unknown', 'webhook.not_found',
      'webhook.delivery_not_found', 'webhook.inactive',
      'case.recall_not_automatic', 'case.recall_window_passed', 'routing.unit_model_not_found',
      'routing.unit_model_not_active',
      'case.merge_reason_required', 'case.merge_self', 'case.merge_already_merged',
      'case.merge_master_is_follower', 'case.merge_not_open', 'case.merge_has_followers',
      'case.merge_undo_forbidden', 'case.merge_undo_reason_required', 'case.merge_not_merged',
      'case.merge_undo_too_late', 'case.merged_follower',
      'case.location_incomplete', 'case.bbox_invalid', 'hotline.token_required',
      'hotline.order_not_found', 'hotline.order_withdrawn', 'hotline.appeal_type_unknown',
      'hotline.time_limit_ambiguous', 'hotline.due_before_call', 'haochaping.invalid_range',
      'haochaping.range_too_long',
      'feedback.rating_window_closed', 'feedback.not_ratable', 'rating.indicator_set_not_found',
      'rating.items_invalid', 'rating.overall_required', 'rating.scores_incomplete',
      'rating.score_out_of_range', 'rating.bad_reasons_required', 'rating.bad_reason_unknown',
      'rating.reasons_only_for_bad', 'rating.overall_mismatch', 'reply_template.not_found',
      'reply_template.action_unknown', 'reply_template.kind_unknown', 'reply_template.empty',
      'reply_template.variable_unknown',
      'case.approve_required', 'case.end_as_required', 'case.end_request_pending',
      'case.no_end_request', 'case.end_requires_approval', 'case.blocker_types_empty',
      'case.blocker_type_not_first', 'knowledge.text_required',
    ]
    expect(codes.filter((c) => !ERROR_MESSAGES[c])).toEqual([])
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
