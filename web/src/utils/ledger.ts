// The ledger's filter: its defaults, the API query it becomes, and its round trip
// through the page's URL (so a filtered ledger can be bookmarked and shared).
import type { QueryInit } from '@/api/client'
import type { BlockerType, Channel, Difficulty, Kind, Nature, State } from '@/api/types'
import { BLOCKER_TYPE, CHANNEL, DIFFICULTY, KIND, LIGHT, NATURE, STATE, type Light } from '@/labels'

export const SORT_FIELDS = ['registered_at', 'updated_at', 'number', 'state', 'kind', 'transfer_count', 'due_at'] as const
export type SortField = (typeof SORT_FIELDS)[number]
export type SortOrder = 'asc' | 'desc'
export const PAGE_SIZES = [10, 20, 50, 100]

export interface LedgerFilter {
  state: State[]
  channel: Channel[]
  kind: Kind[]
  difficulty: Difficulty[]
  blocker_type: BlockerType[] // any of the case's blockers
  nature: Nature[]
  department_id: number | null
  date_from: string | null // YYYY-MM-DD
  date_to: string | null
  q: string
  needs_supervision: boolean | null
  light: Light[]
  hotline_order_number: string
  address: string
  bbox: string // min_lng,min_lat,max_lng,max_lat (WGS-84)
  include_merged: boolean // 并单: followers are left out unless asked for (a group counts once)
  sort: SortField
  order: SortOrder
  page: number
  page_size: number
}

export function defaultFilter(): LedgerFilter {
  return {
    state: [],
    channel: [],
    kind: [],
    difficulty: [],
    blocker_type: [],
    nature: [],
    department_id: null,
    date_from: null,
    date_to: null,
    q: '',
    needs_supervision: null,
    light: [],
    hotline_order_number: '',
    address: '',
    bbox: '',
    include_merged: false,
    sort: 'registered_at',
    order: 'desc',
    page: 1,
    page_size: 20,
  }
}

/** The query of `GET /api/v1/cases`. Only parameters the server knows are sent (it
 *  refuses unknown ones); empty filters are left out. */
export function toApiQuery(f: LedgerFilter): QueryInit {
  return {
    state: f.state,
    channel: f.channel,
    kind: f.kind,
    difficulty: f.difficulty,
    blocker_type: f.blocker_type,
    nature: f.nature,
    department_id: f.department_id,
    date_from: f.date_from,
    date_to: f.date_to,
    q: f.q.trim(),
    needs_supervision: f.needs_supervision,
    light: f.light,
    hotline_order_number: f.hotline_order_number.trim(),
    address: f.address.trim(),
    bbox: f.bbox.trim(),
    include_merged: f.include_merged ? true : null,
    sort: f.sort,
    order: f.order,
    page: f.page,
    page_size: f.page_size,
  }
}

/** The page's URL query: like the API query, without values equal to the defaults. */
export function toRouteQuery(f: LedgerFilter): Record<string, string> {
  const d = defaultFilter()
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(toApiQuery(f))) {
    const def = d[key as keyof LedgerFilter]
    if (value === null || value === undefined || value === '') continue
    if (Array.isArray(value)) {
      if (value.length) out[key] = value.join(',')
      continue
    }
    if (value === def) continue
    out[key] = String(value)
  }
  return out
}

type RouteQuery = Record<string, string | null | (string | null)[] | undefined>

function first(v: RouteQuery[string]): string | undefined {
  if (Array.isArray(v)) return v.find((x): x is string => typeof x === 'string')
  return typeof v === 'string' ? v : undefined
}

function list<K extends string>(v: RouteQuery[string], allowed: Record<K, string>): K[] {
  const raw = first(v)
  if (!raw) return []
  return raw.split(',').filter((x): x is K => Object.prototype.hasOwnProperty.call(allowed, x))
}

function positiveInt(v: RouteQuery[string]): number | null {
  const raw = first(v)
  if (!raw || !/^\d+$/.test(raw)) return null
  const n = Number(raw)
  return n >= 1 ? n : null
}

function isoDate(v: RouteQuery[string]): string | null {
  const raw = first(v)
  return raw && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? raw : null
}

/** Read the filter back from a URL query. Values the ledger does not know are dropped
 *  rather than sent (the server would refuse the whole request). */
export function fromRouteQuery(q: RouteQuery): LedgerFilter {
  const f = defaultFilter()
  f.state = list(q.state, STATE)
  f.channel = list(q.channel, CHANNEL)
  f.kind = list(q.kind, KIND)
  f.difficulty = list(q.difficulty, DIFFICULTY)
  f.blocker_type = list(q.blocker_type, BLOCKER_TYPE)
  f.nature = list(q.nature, NATURE)
  f.department_id = positiveInt(q.department_id)
  f.date_from = isoDate(q.date_from)
  f.date_to = isoDate(q.date_to)
  f.q = (first(q.q) ?? '').slice(0, 100)
  const ns = first(q.needs_supervision)
  f.needs_supervision = ns === 'true' ? true : ns === 'false' ? false : null
  f.light = list(q.light, LIGHT)
  f.hotline_order_number = (first(q.hotline_order_number) ?? '').slice(0, 64)
  f.address = (first(q.address) ?? '').slice(0, 100)
  const bbox = first(q.bbox) ?? ''
  f.bbox = /^-?[\d.]+(,-?[\d.]+){3}$/.test(bbox) ? bbox : ''
  f.include_merged = first(q.include_merged) === 'true'
  const sort = first(q.sort)
  if (sort && (SORT_FIELDS as readonly string[]).includes(sort)) f.sort = sort as SortField
  const order = first(q.order)
  if (order === 'asc' || order === 'desc') f.order = order
  f.page = positiveInt(q.page) ?? 1
  const size = positiveInt(q.page_size)
  if (size && size <= 200) f.page_size = size
  return f
}

/** Element Plus table sort event → the ledger's sort (null clears to the default). */
export function sortFromTable(prop: string | null, order: 'ascending' | 'descending' | null): { sort: SortField; order: SortOrder } {
  if (!prop || !order || !(SORT_FIELDS as readonly string[]).includes(prop)) {
    return { sort: 'registered_at', order: 'desc' }
  }
  return { sort: prop as SortField, order: order === 'ascending' ? 'asc' : 'desc' }
}
