import { beforeEach, describe, expect, it, vi } from 'vitest'

// The API, answered by hand in the order the test chooses.
const pending: { path: string; options: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = []
vi.mock('@/api/client', () => {
  const call = (path: string, options: unknown) => new Promise((resolve, reject) => pending.push({ path, options, resolve, reject }))
  return { api: { get: call, post: call } }
})

const { useReplyTemplates } = await import('./useReplyTemplates')
const { useCatalogueMatches } = await import('./useCatalogueMatches')
const { useIndicatorSet } = await import('./useIndicatorSet')

beforeEach(() => {
  pending.length = 0
})

describe('the reply templates of a move', () => {
  it('keeps the newest list and fills the chosen text', async () => {
    const filled: string[] = []
    const t = useReplyTemplates((text) => filled.push(text))
    const first = t.load(7, 'resolve')
    const second = t.load(7, 'return')
    expect(pending[1].options).toMatchObject({ path: { case_id: 7 }, query: { action: 'return' } })
    pending[1].resolve([{ id: 3, title: '退回', text: '请补充材料' }])
    await second
    pending[0].resolve([{ id: 1, title: '办结', text: '已办结' }])
    await first
    expect(t.templates.value.map((x) => x.id)).toEqual([3])
    t.choose(1)
    t.choose(3)
    expect(filled).toEqual(['请补充材料'])
  })

  it('asks nothing for a move without text, and empties the list', async () => {
    const t = useReplyTemplates(() => undefined)
    const load = t.load(7, 'resolve')
    pending[0].resolve([{ id: 1, title: '办结', text: '已办结' }])
    await load
    t.chosen.value = 1
    await t.load(7, null)
    expect(pending).toHaveLength(1)
    expect(t.templates.value).toEqual([])
    expect(t.chosen.value).toBeNull()
  })
})

describe('the dispatch catalogue matches', () => {
  it('answers the newest lookup only, and clears on a failure', async () => {
    const c = useCatalogueMatches()
    const first = c.load({ title: 'a', description: 'b' })
    const second = c.load({ title: 'a', description: 'b' })
    pending[1].resolve([{ entry_id: 2 }])
    expect(await second).toEqual([{ entry_id: 2 }])
    pending[0].resolve([{ entry_id: 1 }])
    expect(await first).toBeNull()
    expect(c.matches.value).toEqual([{ entry_id: 2 }])
    const third = c.load({ title: 'a', description: 'b' })
    pending[2].reject(new Error('down'))
    expect(await third).toBeNull()
    expect(c.matches.value).toEqual([])
  })
})

describe('the offline indicator set', () => {
  it('takes the active offline set and reads it once', async () => {
    const s = useIndicatorSet()
    const load = s.load()
    pending[0].resolve([
      { channel_type: 'online', active: true, version: 1 },
      { channel_type: 'offline', active: false, version: 1 },
      { channel_type: 'offline', active: true, version: 2 },
    ])
    expect(await load).toMatchObject({ channel_type: 'offline', version: 2 })
    await s.load()
    expect(pending).toHaveLength(1)
  })
})
