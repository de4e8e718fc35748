import { describe, expect, it } from 'vitest'
import { monthGrids } from './calendar'

describe('monthGrids', () => {
  it('lays out months Monday first', () => {
    const grids = monthGrids(2026, [{ date: '2026-02-17', kind: 'holiday', festival: '春节', workday: false }])
    expect(grids).toHaveLength(12)
    // 1 January 2026 is a Thursday: three empty cells before it.
    expect(grids[0].weeks[0].slice(0, 4).map((c) => c?.day ?? null)).toEqual([null, null, null, 1])
    // February 2026 has 28 days and starts on a Sunday.
    const feb = grids[1].weeks.flat().filter((c) => c !== null)
    expect(feb).toHaveLength(28)
    expect(grids[1].weeks[0][6]?.day).toBe(1)
    expect(feb.find((c) => c!.day === 17)?.info?.festival).toBe('春节')
    for (const g of grids) for (const w of g.weeks) expect(w).toHaveLength(7)
  })

  it('knows leap years', () => {
    expect(monthGrids(2028, [])[1].weeks.flat().filter(Boolean)).toHaveLength(29)
  })
})
