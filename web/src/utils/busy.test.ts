import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { ApiError } from '@/api/client'
import { busyStep, stepShowingError, whileBusy } from './busy'

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

describe('busyStep', () => {
  it('ends quietly on a refusal and throws any other error on, not busy afterwards either way', async () => {
    const flag = ref(false)
    await busyStep(flag, () => Promise.reject(new ApiError(409, 'conflict', '状态已变化')))
    expect(flag.value).toBe(false)
    await expect(busyStep(flag, () => Promise.reject(new TypeError('bug')))).rejects.toThrow('bug')
    expect(flag.value).toBe(false)
  })
})

describe('stepShowingError', () => {
  it('clears the error while busy, and shows a failure in it instead of throwing', async () => {
    const error = ref('旧的错误')
    const flag = ref(false)
    const seen: unknown[] = []
    const steps: [() => Promise<void>, string][] = [
      [async () => void seen.push([flag.value, error.value]), ''],
      [() => Promise.reject(new ApiError(409, 'conflict', '')), '数据冲突，请刷新后重试'],
      [() => Promise.reject(new TypeError('bug')), '登录失败'],
    ]
    for (const [step, shown] of steps) {
      await stepShowingError(flag, error, '登录失败', step)
      expect([flag.value, error.value]).toEqual([false, shown])
    }
    expect(seen).toEqual([[true, '']])
  })
})
