// Every time on screen is Beijing time, whatever the browser's own zone.
const BEIJING = 'Asia/Shanghai'

const dateTimeParts = new Intl.DateTimeFormat('zh-CN', {
  timeZone: BEIJING,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

function parts(d: Date): Record<string, string> {
  const p = Object.fromEntries(dateTimeParts.formatToParts(d).map((x) => [x.type, x.value]))
  if (p.hour === '24') p.hour = '00'
  return p
}

function toDate(value: string | number | Date): Date {
  return value instanceof Date ? value : new Date(value)
}

/** `2026-11-21T01:30:00Z` → `2026-11-21 09:30` (Beijing time). */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const p = parts(d)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** `2026-11-21 09:30:05` in Beijing time (the big screen's clock). */
export function formatDateTimeSeconds(value: string | number | Date): string {
  const p = parts(toDate(value))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** `09:30:05` in Beijing time. */
export function formatTime(value: string | number | Date): string {
  const p = parts(toDate(value))
  return `${p.hour}:${p.minute}:${p.second}`
}

/** Today's date in Beijing, `2026-11-21` (for date pickers' defaults). */
export function beijingToday(now: Date = new Date()): string {
  const p = parts(now)
  return `${p.year}-${p.month}-${p.day}`
}

/** This month in Beijing, `2026-11`. */
export function beijingMonth(now: Date = new Date()): string {
  return beijingToday(now).slice(0, 7)
}

/** This year in Beijing. */
export function beijingYear(now: Date = new Date()): number {
  return Number(beijingToday(now).slice(0, 4))
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
