import { describe, expect, it } from 'vitest'
import { auditExportHref } from './audit'

describe('the export of a log', () => {
  it('asks for the whole log without dates, and for the chosen dates with them', () => {
    expect(auditExportHref('operations', null)).toBe('/api/v1/audit/operations.csv')
    expect(auditExportHref('logins', ['2026-11-01', '2026-11-30'])).toBe('/api/v1/audit/logins.csv?date_from=2026-11-01&date_to=2026-11-30')
  })
})
