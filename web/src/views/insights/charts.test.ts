import { describe, expect, it } from 'vitest'
import { freshness, type Overview } from './charts'

const base: Overview = {
  counts: {} as Overview['counts'],
  rates: {} as Overview['rates'],
  lights: { green: 1, yellow: 0, red: 0 },
  date_from: '2026-10-22',
  date_to: '2026-11-20',
}

describe('freshness', () => {
  it('is empty when the figures were counted live', () => {
    expect(freshness(base)).toBe('')
    expect(freshness({ ...base, rollup_refreshed_at: null, lights_as_of: null })).toBe('')
  })
  it('names the time of the last refresh in Beijing time', () => {
    const at = '2026-11-21T03:04:05Z'
    const local = '11:04:05'
    expect(freshness({ ...base, rollup_refreshed_at: at })).toBe(`数据更新于 ${local}`)
    expect(freshness({ ...base, lights_as_of: at })).toBe(`数据更新于 ${local}`)
  })
})
