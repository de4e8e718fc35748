import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { whileBusy } from './busy'

describe('whileBusy', () => {
  it('is busy while the work runs, and not after it answered or failed', async () => {
    const flag = ref(false)
    let release: (v: number) => void = () => {}
    const running = whileBusy(flag, () => new Promise<number>((r) => (release = r)))
    expect(flag.value).toBe(true)
    release(3)
    expect(await running).toBe(3)
    expect(flag.value).toBe(false)
    await expect(whileBusy(flag, () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    expect(flag.value).toBe(false)
  })
})
