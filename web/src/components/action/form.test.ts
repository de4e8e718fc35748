import { describe, expect, it } from 'vitest'
import type { CaseDetail, Matter } from '@/api/types'
import { fieldsNeeded } from '@/utils/actionFields'
import { actionBody, applyMatch, blankActionForm, isBad, type ActionForm, type BodyContext, type IndicatorSet } from './form'

const CASE = {
  id: 7,
  version: 3,
  number: 'BC-2026-000007',
  title: '公积金提取被要求重复提供婚姻证明',
  description: '已提交结婚证',
  kind: 'cannot_do',
  difficulty: 'general',
  blocker_type: 'other',
  blocker_types: ['other', 'rigid_policy'],
  nature: null,
  matter_id: 11,
  resolution: '经核实，按现行政策须提供婚姻状况证明。',
  outcome: 'cannot_by_policy',
  policy_explanation: '《住房公积金提取管理办法》第十二条',
  alternative: '跨省通办线上调取',
  alternative_owner: '市民政局',
} as unknown as CaseDetail
const MATTER = { id: 11, materials: ['身份证', '结婚证'] } as unknown as Matter
const matter = (id: number) => (id === 11 ? MATTER : undefined)

/** The body of a move, with `needs`/`asks` from the server's lists as the dialog reads them. */
function body(form: ActionForm, name: string, required: string[], extra: Partial<BodyContext> = {}) {
  const action = { required, required_when: [{ field: 'reason', when_field: 'approve', equals: false }] }
  const asked = fieldsNeeded(action, form)
  return actionBody(form, {
    name,
    caseData: CASE,
    needs: (f) => required.includes(f),
    asks: (f) => asked.has(f),
    indicators: null,
    ...extra,
  })
}

describe('the form of a move', () => {
  it('drafts the one-time notice from the resolution and the matter, for the feedback only', () => {
    const feedback = blankActionForm(CASE, (f) => f === 'notification_text', matter)
    expect(feedback.notification_text).toBe(
      [
        '您反映的“公积金提取被要求重复提供婚姻证明”已办理。',
        '办理情况：经核实，按现行政策须提供婚姻状况证明。',
        '政策依据：《住房公积金提取管理办法》第十二条',
        '可行办法：跨省通办线上调取（由市民政局负责）',
      ].join('\n'),
    )
    expect(feedback.notification_materials).toEqual(['身份证', '结婚证'])
    const other = blankActionForm(CASE, () => false, matter)
    expect(other.notification_text).toBe('')
    expect(other.notification_materials).toEqual([])
    expect(other.blocker_types).toEqual(['other', 'rigid_policy'])
  })

  it('a catalogue match sets the lead and the co-handlers other than the lead', () => {
    const form = blankActionForm(CASE, () => false, matter)
    applyMatch(form, { entry_id: 1, matter: '公积金', department_id: 2, co_department_ids: [2, 5, 6], matched: [] })
    expect(form.department_id).toBe(2)
    expect(form.co_department_ids).toEqual([5, 6])
  })

  it('a bad rating is 不满意 or worse', () => {
    expect(isBad('dissatisfied')).toBe(true)
    expect(isBad('very_dissatisfied')).toBe(true)
    expect(isBad('basically_satisfied')).toBe(false)
    expect(isBad(null)).toBe(false)
  })
})

describe('the body a move sends', () => {
  it('sends the fields the move needs, trimmed, with the version', () => {
    const form = blankActionForm(CASE, () => false, matter)
    form.reason = '  该事项由其他单位主管 '
    form.department_id = 4
    form.resolution = 'x'
    expect(body(form, 'transfer', ['reason', 'department_id'])).toEqual({ version: 3, reason: '该事项由其他单位主管', department_id: 4 })
  })

  it('sends the no-veto fields only when they are asked for', () => {
    const form = blankActionForm(CASE, () => false, matter)
    form.outcome = 'cannot_by_policy'
    form.resolution = '办不了'
    form.policy_explanation = ' 依据 '
    form.alternative = '替代'
    form.alternative_owner = '民政局'
    const noVeto = ['policy_explanation', 'alternative', 'alternative_owner']
    const asks = (f: string) => noVeto.includes(f)
    expect(body(form, 'resolve', ['outcome', 'resolution'], { asks })).toEqual({
      version: 3,
      outcome: 'cannot_by_policy',
      resolution: '办不了',
      policy_explanation: '依据',
      alternative: '替代',
      alternative_owner: '民政局',
    })
    expect(body(form, 'resolve', ['outcome', 'resolution'])).toEqual({ version: 3, outcome: 'cannot_by_policy', resolution: '办不了' })
  })

  it('dispatches with the co-handlers and their time only when there are co-handlers', () => {
    const form = blankActionForm(CASE, () => false, matter)
    form.department_id = 2
    form.co_due_workdays = 5
    expect(body(form, 'dispatch', ['department_id'])).toEqual({ version: 3, department_id: 2 })
    form.co_department_ids = [5]
    expect(body(form, 'dispatch', ['department_id'])).toEqual({ version: 3, department_id: 2, co_department_ids: [5], co_due_workdays: 5 })
  })

  it('scores the window indicators, the overall one from the level, with the reasons of a bad rating', () => {
    const form = blankActionForm(CASE, () => false, matter)
    form.rating = 'dissatisfied'
    form.scores = { waiting: 3, attitude: 0 }
    form.bad_reasons = ['slow']
    const indicators = { indicators: [{ code: 'overall' }, { code: 'waiting' }, { code: 'attitude' }] } as unknown as IndicatorSet
    expect(body(form, 'evaluate', ['rating'], { indicators })).toEqual({
      version: 3,
      rating: 'dissatisfied',
      rating_channel: 'hall',
      scores: { overall: 2, waiting: 3, attitude: 1 },
      bad_reasons: ['slow'],
    })
    form.rating_channel = 'hotline_12345'
    expect(body(form, 'evaluate', ['rating'])).toEqual({ version: 3, rating: 'dissatisfied', rating_channel: 'hotline_12345' })
  })

  it('a decision sends its note when there is one', () => {
    const form = blankActionForm(CASE, () => false, matter)
    form.approve = true
    expect(body(form, 'decide_extension', ['approve'])).toEqual({ version: 3, approve: true })
    form.approve = false
    form.reason = ' 材料不全 '
    expect(body(form, 'decide_extension', ['approve'])).toEqual({ version: 3, approve: false, reason: '材料不全' })
  })

  it('classifies with only what changed', () => {
    const form = blankActionForm(CASE, () => false, matter)
    expect(body(form, 'classify', [])).toEqual({ version: 3 })
    form.blocker_types = ['rigid_policy', 'other']
    form.difficulty = 'hard'
    expect(body(form, 'classify', [])).toEqual({ version: 3, difficulty: 'hard', blocker_types: ['rigid_policy', 'other'] })
    form.blocker_types = ['other', 'rigid_policy']
    form.difficulty = 'general'
    form.matter_id = 12
    expect(body(form, 'classify', [])).toEqual({ version: 3, matter_id: 12 })
  })
})
