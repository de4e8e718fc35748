// A year of the working-day calendar laid out as month grids (Monday first).

export interface CalendarDay {
  date: string // YYYY-MM-DD
  kind: string // workday | weekend | holiday | makeup_workday
  festival: string | null
  workday: boolean
}

export interface MonthCell {
  day: number
  date: string
  info?: CalendarDay
}

export interface MonthGrid {
  month: number // 1-12
  weeks: (MonthCell | null)[][]
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

export function monthGrids(year: number, days: CalendarDay[]): MonthGrid[] {
  const byDate = new Map(days.map((d) => [d.date, d]))
  const grids: MonthGrid[] = []
  for (let m = 1; m <= 12; m++) {
    const first = new Date(Date.UTC(year, m - 1, 1))
    const length = new Date(Date.UTC(year, m, 0)).getUTCDate()
    const lead = (first.getUTCDay() + 6) % 7 // Monday = 0
    const cells: (MonthCell | null)[] = Array.from({ length: lead }, () => null)
    for (let d = 1; d <= length; d++) {
      const date = `${year}-${pad(m)}-${pad(d)}`
      cells.push({ day: d, date, info: byDate.get(date) })
    }
    while (cells.length % 7) cells.push(null)
    const weeks: (MonthCell | null)[][] = []
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
    grids.push({ month: m, weeks })
  }
  return grids
}
