import { describe, expect, it, vi } from 'vitest'

const answers: (() => Promise<unknown>)[] = []
const asked: unknown[][] = []
vi.mock('element-plus', () => ({
  ElMessageBox: {
    confirm: (...args: unknown[]) => {
      asked.push(args)
      return answers.shift()!()
    },
  },
}))
vi.mock('element-plus/es/components/message-box/style/css', () => ({}))

const { confirmed } = await import('./confirm')

describe('confirmed', () => {
  it('is true once confirmed and false when cancelled, with the warning box asked for', async () => {
    answers.push(() => Promise.resolve('confirm'), () => Promise.reject('cancel'))
    expect(await confirmed('确定吊销？', '吊销令牌', '吊销')).toBe(true)
    expect(await confirmed('确定吊销？', '吊销令牌', '吊销')).toBe(false)
    expect(asked[0]).toEqual(['确定吊销？', '吊销令牌', { type: 'warning', confirmButtonText: '吊销', cancelButtonText: '取消' }])
  })
})
