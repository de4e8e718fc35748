import { describe, expect, it } from 'vitest'
import { beijingMonth, beijingToday, beijingYear, formatDateTime, formatDateTimeSeconds, formatTime } from './format'

describe('Beijing time', () => {
  // 2026-12-31 16:30:05 UTC is already 2027-01-01 00:30:05 in Beijing.
  const late = new Date('2026-12-31T16:30:05Z')

  it('formats instants in Beijing time, not the browser zone', () => {
    expect(formatDateTime('2026-12-31T16:30:05Z')).toBe('2027-01-01 00:30')
    expect(formatDateTimeSeconds(late)).toBe('2027-01-01 00:30:05')
    expect(formatTime(late)).toBe('00:30:05')
  })

  it('gives Beijing dates for defaults', () => {
    expect(beijingToday(late)).toBe('2027-01-01')
    expect(beijingMonth(late)).toBe('2027-01')
    expect(beijingYear(late)).toBe(2027)
  })
})
