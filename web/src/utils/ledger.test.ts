import { describe, expect, it } from 'vitest'
import { buildQuery } from '@/api/client'
import { defaultFilter, fromRouteQuery, sortFromTable, toApiQuery, toRouteQuery } from './ledger'

/** A filter with every condition set (lists of two where a list is allowed). */
function everyFilterSet() {
  return {
    ...defaultFilter(),
    state: ['resolved' as const, 'closed' as const],
    channel: ['hotline' as const],
    kind: ['complaint' as const],
    difficulty: ['hard' as const],
    blocker_type: ['legacy' as const, 'rigid_policy' as const],
    nature: ['hard_to_do' as const, 'cannot_by_policy' as const],
    department_id: 9,
    date_from: '2026-03-01',
    date_to: '2026-03-31',
    q: '不动产',
    needs_supervision: true,
    light: ['red' as const, 'yellow' as const],
    include_merged: true,
  }
}

describe('ledger filter', () => {
  it('sends only what is set, lists comma-separated', () => {
    const f = { ...defaultFilter(), state: ['dispatched', 'accepted'] as const, department_id: 12, q: ' 公积金 ' }
    const qs = buildQuery(toApiQuery({ ...f, state: [...f.state] }))
    const params = new URLSearchParams(qs.slice(1))
    expect(Object.fromEntries(params)).toEqual({
      state: 'dispatched,accepted',
      department_id: '12',
      q: '公积金',
      sort: 'registered_at',
      order: 'desc',
      page: '1',
      page_size: '20',
    })
  })

  it('sends only parameters the server accepts', () => {
    const allowed = new Set([
      'state', 'channel', 'kind', 'difficulty', 'blocker_type', 'nature', 'department_id', 'date_from', 'date_to',
      'q', 'needs_supervision', 'light', 'include_merged', 'sort', 'order', 'page', 'page_size',
    ])
    const keys = [...new URLSearchParams(buildQuery(toApiQuery(everyFilterSet())).slice(1)).keys()]
    expect(keys.filter((k) => !allowed.has(k))).toEqual([])
    expect(keys).toHaveLength(17)
    expect(toApiQuery(defaultFilter()).include_merged).toBeNull() // left out: followers hidden
  })

  it('keeps the URL short: defaults are left out', () => {
    expect(toRouteQuery(defaultFilter())).toEqual({})
    expect(toRouteQuery({ ...defaultFilter(), page: 3, needs_supervision: false, sort: 'updated_at' })).toEqual({
      page: '3',
      needs_supervision: 'false',
      sort: 'updated_at',
    })
  })

  it('round-trips through the URL', () => {
    const f = {
      ...everyFilterSet(),
      sort: 'due_at' as const,
      order: 'asc' as const,
      page: 4,
      page_size: 50,
    }
    expect(fromRouteQuery(toRouteQuery(f))).toEqual(f)
  })

  it('drops values it does not know instead of sending them', () => {
    const f = fromRouteQuery({
      state: 'dispatched,bogus',
      kind: 'complaint',
      department_id: 'abc',
      date_from: '01/02/2026',
      sort: 'reporter_phone',
      order: 'sideways',
      page: '0',
      page_size: '5000',
      needs_supervision: 'maybe',
      scope: 'all',
    })
    expect(f).toEqual({ ...defaultFilter(), state: ['dispatched'], kind: ['complaint'] })
  })

  it('maps table sorting to the API sort', () => {
    expect(sortFromTable('transfer_count', 'ascending')).toEqual({ sort: 'transfer_count', order: 'asc' })
    expect(sortFromTable('updated_at', 'descending')).toEqual({ sort: 'updated_at', order: 'desc' })
    expect(sortFromTable('title', 'ascending')).toEqual({ sort: 'registered_at', order: 'desc' })
    expect(sortFromTable('number', null)).toEqual({ sort: 'registered_at', order: 'desc' })
  })
})
