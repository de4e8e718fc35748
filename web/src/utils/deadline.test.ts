import { describe, expect, it } from 'vitest'
import { countdown } from './deadline'

describe('countdown', () => {
  const now = Date.parse('2026-11-21T08:00:00Z')
  it('says how long is left', () => {
    expect(countdown('2026-11-23T11:30:00Z', now)).toEqual({ text: '剩余 2天3小时', overdue: false })
    expect(countdown('2026-11-21T09:15:00Z', now)).toEqual({ text: '剩余 1小时15分钟', overdue: false })
    expect(countdown('2026-11-21T08:45:30Z', now)).toEqual({ text: '剩余 45分钟', overdue: false })
  })
  it('says how late it is', () => {
    expect(countdown('2026-11-20T06:00:00Z', now)).toEqual({ text: '已超期 1天2小时', overdue: true })
  })
  it('has nothing to say without a deadline', () => {
    expect(countdown(null, now)).toBeNull()
    expect(countdown('garbage', now)).toBeNull()
  })
})
