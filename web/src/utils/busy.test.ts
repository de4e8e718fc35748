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
  it('clears the error, then shows a failure in it instead of throwing, not busy afterwards', async () => {
    const flag = ref(false)
    const error = ref('旧的错误')
    await stepShowingError(flag, error, '登录失败', async () => expect([flag.value, error.value]).toEqual([true, '']))
    expect(error.value).toBe('')
    await stepShowingError(flag, error, '登录失败', () => Promise.reject(new ApiError(409, 'conflict', '')))
    expect(error.value).toBe('数据冲突，请刷新后重试')
    await stepShowingError(flag, error, '登录失败', () => Promise.reject(new TypeError('bug')))
    expect(error.value).toBe('登录失败')
    expect(flag.value).toBe(false)
  })
})
