import { describe, expect, it } from 'vitest'
import { countLines, freshness, lightSlices, registered, type Overview } from './charts'

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

describe('chart data', () => {
  it('makes the trend lines of the named counts, 0 where a period has none', () => {
    const lines = countLines('registered', 'overdue')
    expect(lines.map((l) => l.name)).toEqual(['登记', '超期'])
    expect(lines.map((l) => l.value({ period: '2026-11', counts: { registered: 4 }, rates: {} }))).toEqual([4, 0])
  })
  it('gives the lights in green, yellow, red order and each row its registered count', () => {
    expect(lightSlices({ red: 2, green: 5 }).map((s) => [s.name, s.value])).toEqual([['绿灯', 5], ['黄灯', 0], ['红灯', 2]])
    expect(registered([{ key: 1, name: '市民政局', counts: { registered: 3 }, rates: {} }, { key: 2, name: '市人社局', counts: {}, rates: {} }])).toEqual([
      { name: '市民政局', value: 3 },
      { name: '市人社局', value: 0 },
    ])
  })
})
