import { describe, expect, it } from 'vitest'
import { fieldsNeeded, fieldsOffered, type ActionNeeds } from './actionFields'

// As GET /cases/{id}/actions answers them (cases/lifecycle.py MOVES).
const resolve: ActionNeeds = {
  required: ['outcome', 'resolution'],
  required_when: ['policy_explanation', 'alternative', 'alternative_owner'].map((field) => ({
    field,
    when_field: 'outcome',
    equals: 'cannot_by_policy',
  })),
}
const decideEnd: ActionNeeds = {
  required: ['approve'],
  required_when: [{ field: 'reason', when_field: 'approve', equals: false }],
}
const evaluate: ActionNeeds = { required: ['rating'], required_when: [] }

describe('the fields a move asks for', () => {
  it('asks for the no-veto fields only once the outcome is 不能办理', () => {
    expect([...fieldsNeeded(resolve, { outcome: 'resolved' })]).toEqual(['outcome', 'resolution'])
    expect([...fieldsNeeded(resolve, { outcome: undefined })]).toEqual(['outcome', 'resolution'])
    expect([...fieldsNeeded(resolve, { outcome: 'cannot_by_policy' })]).toEqual([
      'outcome',
      'resolution',
      'policy_explanation',
      'alternative',
      'alternative_owner',
    ])
  })

  it('asks for a reason when a request is refused, not when it is approved or undecided', () => {
    expect([...fieldsNeeded(decideEnd, { approve: true })]).toEqual(['approve'])
    expect([...fieldsNeeded(decideEnd, { approve: undefined })]).toEqual(['approve'])
    expect([...fieldsNeeded(decideEnd, { approve: false })]).toEqual(['approve', 'reason'])
  })

  it('adds nothing the server does not name (no bad-review reasons at the window)', () => {
    expect([...fieldsNeeded(evaluate, { rating: 'very_dissatisfied', bad_reasons: [] })]).toEqual(['rating'])
    expect([...fieldsNeeded(null, { outcome: 'cannot_by_policy' })]).toEqual([])
  })

  it('offers every field the move may ask for', () => {
    expect([...fieldsOffered(resolve)]).toEqual(['outcome', 'resolution', 'policy_explanation', 'alternative', 'alternative_owner'])
    expect([...fieldsOffered(decideEnd)]).toEqual(['approve', 'reason'])
    expect(fieldsOffered(null).size).toBe(0)
  })
})
