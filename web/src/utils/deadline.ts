/** Time left until a deadline, in Chinese: `剩余 2天3小时`, `剩余 45分钟`, `已超期 1天2小时`.
 *  Calendar time: the deadline itself was computed in working days by the server. */
export function countdown(dueIso: string | null | undefined, now: number = Date.now()): { text: string; overdue: boolean } | null {
  if (!dueIso) return null
  const due = new Date(dueIso).getTime()
  if (Number.isNaN(due)) return null
  const diff = due - now
  const overdue = diff < 0
  let minutes = Math.floor(Math.abs(diff) / 60000)
  const days = Math.floor(minutes / 1440)
  minutes -= days * 1440
  const hours = Math.floor(minutes / 60)
  minutes -= hours * 60
  let span: string
  if (days > 0) span = `${days}天${hours}小时`
  else if (hours > 0) span = `${hours}小时${minutes}分钟`
  else span = `${minutes}分钟`
  return { text: overdue ? `已超期 ${span}` : `剩余 ${span}`, overdue }
}
