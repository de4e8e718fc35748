import { describe, expect, it } from 'vitest'

// Every view that reads from the API goes through the stale-answer guard: a list through
// `useList`, anything else through `newest` / `newestInto` (utils/newest.ts). A view
// reloads on mount, after a filter or an action, and when the route moves on; an earlier,
// slower answer arriving last must not replace the newer one.
const sources = import.meta.glob('./**/*.vue', { query: '?raw', import: 'default', eager: true }) as Record<string, string>

// Views that read only once, on mount, with nothing that loads again while they are open.
const ONCE_ON_MOUNT: Record<string, string> = {
  './WorkbenchView.vue': 'counts and lists read once when the workbench opens',
  './NotificationsView.vue': "the caller's own settings, read once",
  './insights/ImportView.vue': 'the import fields, read once',
}

// `api.get(…)`, or the insights pages' `get<T>(…)` (views/insights/charts.ts).
const READS = /\bapi\.get\(|(?<![.\w])get<\w/
const GUARDED = /\buseList\s*[<(]|\bnewest\(\)|\bnewestInto\(/

describe('the stale-answer guard', () => {
  it('finds the views', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(30)
    expect(Object.keys(sources)).toContain('./admin/TokensView.vue')
  })

  it('is used by every view that reads from the API', () => {
    const unguarded = Object.entries(sources)
      .filter(([path, text]) => READS.test(text) && !GUARDED.test(text) && !(path in ONCE_ON_MOUNT))
      .map(([path]) => path)
    expect(unguarded).toEqual([])
  })

  it('lists as read-once only views that read and have no guard', () => {
    for (const path of Object.keys(ONCE_ON_MOUNT)) {
      expect(READS.test(sources[path] ?? ''), path).toBe(true)
      expect(GUARDED.test(sources[path] ?? ''), path).toBe(false)
    }
  })
})
