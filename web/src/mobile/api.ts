// The citizen API (no account): a small fetch wrapper with Chinese error messages (the
// console's error registry, src/api/errors.ts).
import { messageFor, NETWORK_ERROR } from '@/api/errors'

export class PublicError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, detail: string) {
    super(detail || '操作失败，请稍后再试')
    this.status = status
    this.code = code
  }
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response
  try {
    res = await fetch(`/api/v1/public${path}`, init)
  } catch {
    throw new PublicError(0, 'network', NETWORK_ERROR)
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (!res.ok) {
    if (res.status === 422) throw new PublicError(422, 'request.malformed', '填写内容有误，请检查后重试')
    const code: string = body?.code ?? (res.status === 429 ? 'rate_limited' : 'error')
    throw new PublicError(res.status, code, messageFor(code, body?.detail, res.status))
  }
  return body as T
}

export interface Options {
  kinds: Record<string, string>
  matters: { id: number; name: string; materials: string[] }[]
}
export interface Created {
  number: string
  token: string
  due_date: string | null
  link: string
}
export interface PublicEvent {
  at: string
  action: string
  label: string
  department: string
}
export interface RatingItem {
  code: string
  label: string
}
// The channel's indicator set (GB/T 39734-2020) and the bad-review checklist.
export interface RatingForm {
  indicator_set_id: number
  channel_type: string
  version: number
  indicators: RatingItem[]
  bad_reasons: RatingItem[]
}

export interface PublicCase {
  number: string
  state: string
  state_label: string
  kind_label: string
  title: string
  registered_at: string
  due_date: string | null
  timeline: PublicEvent[]
  notification_text: string | null
  notification_materials: string[]
  supplement_request: string | null
  rating: string | null
  can_rate: boolean
  rating_deadline?: string | null
  rating_form?: RatingForm | null
  round: number
  // 并单: the report this one was merged into (same problem); its public progress.
  master?: PublicMaster | null
  // The reporter turned SMS about this case off (the switch on the status page).
  sms_opt_out: boolean
}
export interface PublicMaster {
  state: string
  state_label: string
  due_date: string | null
  timeline: PublicEvent[]
}
export interface DisclosureFigures {
  registered: number
  resolved: number
  rated: number
  rates: { on_time: number | null; satisfaction: number | null; bad_review: number | null; rectification: number | null }
}
export interface Disclosure {
  month: string
  date_from: string
  date_to: string
  months: string[]
  totals: DisclosureFigures
  units: (DisclosureFigures & { name: string })[]
  rectifications: {
    unit: string
    matter: string
    status: string
    status_label: string
    opened_on: string
    due_date: string
    completed_on: string | null
    result: string | null
  }[]
  as_of: string | null
}
export interface Access {
  token?: string
  phone?: string
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
})

function access(a: Access): { query: string; headers: Record<string, string> } {
  return {
    query: a.token ? `?token=${encodeURIComponent(a.token)}` : '',
    headers: a.phone ? { 'X-Reporter-Phone': a.phone } : {},
  }
}

export const api = {
  options: () => call<Options>('/options'),
  disclosure: (month?: string) =>
    call<Disclosure>(`/disclosure${month ? `?month=${encodeURIComponent(month)}` : ''}`),
  report: (body: Record<string, unknown>, key: string) => {
    const init = json(body)
    init.headers = { ...(init.headers as Record<string, string>), 'Idempotency-Key': key }
    return call<Created>('/reports', init)
  },
  photo: (number: string, token: string, file: Blob, name: string) => {
    const form = new FormData()
    form.append('file', file, name)
    return call<{ id: number }>(
      `/cases/${encodeURIComponent(number)}/photos?token=${encodeURIComponent(token)}`,
      { method: 'POST', body: form },
    )
  },
  follow: (number: string, a: Access) => {
    const { query, headers } = access(a)
    return call<PublicCase>(`/cases/${encodeURIComponent(number)}${query}`, { headers })
  },
  rate: (number: string, a: Access, body: Record<string, unknown>) => {
    const { query, headers } = access(a)
    const init = json(body)
    init.headers = { ...(init.headers as Record<string, string>), ...headers }
    return call<PublicCase>(`/cases/${encodeURIComponent(number)}/evaluation${query}`, init)
  },
  /** SMS about this case off (`optOut`) or on again; only with the private link. */
  smsOptOut: (number: string, token: string, optOut: boolean) =>
    call<{ number: string; opt_out: boolean }>(
      `/cases/${encodeURIComponent(number)}/notifications?token=${encodeURIComponent(token)}`,
      json({ opt_out: optOut }),
    ),
}

/** Shrink a photo on the phone before upload: longest side 1600 px, JPEG 0.8. HEIC the
 * browser cannot decode is sent as is (the server converts it). */
export async function compress(file: File, maxSide = 1600): Promise<{ blob: Blob; name: string }> {
  if (!file.type.startsWith('image/') || file.type.includes('heic') || file.type.includes('heif')) {
    return { blob: file, name: file.name }
  }
  try {
    const bitmap = await createImageBitmap(file)
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height))
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(bitmap.width * scale)
    canvas.height = Math.round(bitmap.height * scale)
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise<Blob | null>((ok) => canvas.toBlob(ok, 'image/jpeg', 0.8))
    if (!blob || blob.size >= file.size) return { blob: file, name: file.name }
    return { blob, name: file.name.replace(/\.[^.]+$/, '') + '.jpg' }
  } catch {
    return { blob: file, name: file.name }
  }
}
