/**
 * 导出CSV of a log of the 日志审计 page: the log between the chosen Beijing dates (all of
 * it without dates), as the server writes it; the export is itself logged.
 */
export function auditExportHref(kind: 'operations' | 'logins', dates: [string, string] | null): string {
  const q = new URLSearchParams()
  if (dates) {
    q.set('date_from', dates[0])
    q.set('date_to', dates[1])
  }
  const tail = q.toString()
  return `/api/v1/audit/${kind}.csv${tail ? `?${tail}` : ''}`
}
