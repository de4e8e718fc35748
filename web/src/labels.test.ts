import { describe, expect, it } from 'vitest'

import { label, ROLE, UNKNOWN } from './labels'

describe('label', () => {
  it('names a known code in Chinese', () => {
    expect(label(ROLE, 'clerk')).toBe('受理员')
  })
  it('shows no raw code for an unknown one', () => {
    expect(label(ROLE, 'auditor')).toBe(UNKNOWN)
    expect(UNKNOWN).toBe('未知')
  })
  it('shows nothing for no code', () => {
    expect(label(ROLE, null)).toBe('')
    expect(label(ROLE, undefined)).toBe('')
  })
})
