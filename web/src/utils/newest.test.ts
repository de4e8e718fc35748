import { describe, expect, it } from 'vitest'
import { newest } from './newest'

describe('newest', () => {
  it('applies only the answer of the newest load, whatever order they arrive in', async () => {
    const loads = newest()
    const shown: string[] = []
    let releaseFirst: (v: string) => void = () => {}
    const first = new Promise<string>((r) => (releaseFirst = r))
    async function load(answer: Promise<string>): Promise<void> {
      const current = loads.begin()
      const value = await answer
      if (current()) shown.push(value)
    }
    const a = load(first) // the mount's load, slow
    await load(Promise.resolve('after the action'))
    releaseFirst('stale')
    await a
    expect(shown).toEqual(['after the action'])
  })

  it('a single load is applied', async () => {
    const loads = newest()
    const current = loads.begin()
    expect(current()).toBe(true)
    loads.begin()
    expect(current()).toBe(false)
  })
})

describe('newestInto', () => {
  it('fills the ref with the newest answer only', async () => {
    const { ref } = await import('vue')
    const { newestInto } = await import('./newest')
    const target = ref('')
    const fill = newestInto(target)
    let releaseFirst: (v: string) => void = () => {}
    const first = fill(new Promise<string>((r) => (releaseFirst = r)))
    const second = fill(Promise.resolve('second'))
    await second
    releaseFirst('first')
    await first
    expect(target.value).toBe('second')
  })
})
