import { describe, expect, it } from 'vitest'
import { useList, type ListPage, type ListParams } from './useList'

/** A loader whose answers the test releases by hand, in any order. */
function controlled<T>() {
  const calls: { params: ListParams; resolve: (v: ListPage<T>) => void; reject: (e: unknown) => void }[] = []
  const loader = (params: ListParams) =>
    new Promise<ListPage<T>>((resolve, reject) => calls.push({ params, resolve, reject }))
  return { calls, loader }
}

describe('useList', () => {
  it('applies only the newest answer when two arrive out of order', async () => {
    const { calls, loader } = controlled<string>()
    const list = useList<string>(loader)
    const first = list.load() // the mount's load, slow
    const second = list.load() // after a filter changed
    calls[1].resolve({ items: ['newer'], total: 1 })
    await second
    expect(list.items).toEqual(['newer'])
    expect(list.loading).toBe(false)
    calls[0].resolve({ items: ['stale', 'stale'], total: 2 })
    await first
    expect(list.items).toEqual(['newer'])
    expect(list.total).toBe(1)
  })

  it('keeps loading while the newest load runs, even when an older one ends', async () => {
    const { calls, loader } = controlled<string>()
    const list = useList<string>(loader)
    const first = list.load()
    const second = list.load()
    calls[0].reject(new Error('old failure'))
    await first
    expect(list.loading).toBe(true)
    expect(list.failed).toBe(false)
    calls[1].resolve({ items: ['a'], total: 1 })
    await second
    expect(list.loading).toBe(false)
    expect(list.items).toEqual(['a'])
  })

  it('asks for the page and size the pager shows; search starts at page 1', async () => {
    const { calls, loader } = controlled<number>()
    const list = useList<number>(loader, { pageSize: 50 })
    list.page = 3
    const a = list.load()
    expect(calls[0].params).toEqual({ page: 3, page_size: 50 })
    calls[0].resolve({ items: [1, 2], total: 102 })
    await a
    expect(list.total).toBe(102)
    list.pageSize = 20
    const b = list.search()
    expect(list.page).toBe(1)
    expect(calls[1].params).toEqual({ page: 1, page_size: 20 })
    calls[1].resolve({ items: [3], total: 102 })
    await b
    expect(list.items).toEqual([3])
  })

  it('a failed load shows no rows and keeps the error; the next success clears it', async () => {
    const { calls, loader } = controlled<string>()
    const list = useList<string>(loader)
    const ok = list.load()
    calls[0].resolve({ items: ['x'], total: 1 })
    await ok
    const boom = new Error('unreachable')
    const bad = list.load()
    calls[1].reject(boom)
    await bad
    expect(list.failed).toBe(true)
    expect(list.error).toBe(boom)
    expect(list.items).toEqual([])
    expect(list.total).toBe(0)
    expect(list.loading).toBe(false)
    const again = list.load()
    calls[2].resolve({ items: ['y'], total: 1 })
    await again
    expect(list.failed).toBe(false)
    expect(list.items).toEqual(['y'])
  })

  it('can keep the rows shown when a load fails', async () => {
    let fail = false
    const list = useList<string>(async () => {
      if (fail) throw new Error('down')
      return ['kept']
    }, { clearOnError: false })
    await list.load()
    fail = true
    await list.load()
    expect(list.failed).toBe(true)
    expect(list.items).toEqual(['kept'])
  })

  it('takes a plain array as the whole list, and hands the newest answer to onLoaded', async () => {
    const seen: string[][] = []
    const list = useList<string, string[]>(async () => ['a', 'b', 'c'], { onLoaded: (a) => seen.push(a) })
    await list.load()
    expect(list.items).toEqual(['a', 'b', 'c'])
    expect(list.total).toBe(3)
    expect(seen).toEqual([['a', 'b', 'c']])
  })
})
