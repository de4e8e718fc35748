import { describe, expect, it, vi } from 'vitest'

const answers: (() => Promise<unknown>)[] = []
const asked: unknown[][] = []
const said: string[] = []
vi.mock('element-plus', () => ({
  ElMessageBox: {
    confirm: (...args: unknown[]) => {
      asked.push(args)
      return answers.shift()!()
    },
  },
  ElMessage: { success: (m: string) => said.push(m) },
}))
vi.mock('element-plus/es/components/message-box/style/css', () => ({}))

const { confirmed, confirmedStep } = await import('./confirm')

describe('confirmed', () => {
  it('is true once confirmed and false when cancelled, with the warning box asked for', async () => {
    answers.push(() => Promise.resolve('confirm'), () => Promise.reject('cancel'))
    expect(await confirmed('确定吊销？', '吊销令牌', '吊销')).toBe(true)
    expect(await confirmed('确定吊销？', '吊销令牌', '吊销')).toBe(false)
    expect(asked[0]).toEqual(['确定吊销？', '吊销令牌', { type: 'warning', confirmButtonText: '吊销', cancelButtonText: '取消' }])
  })
})

describe('confirmedStep', () => {
  it('takes the step once confirmed, says done, then goes on with the answer', async () => {
    said.length = 0
    answers.push(() => Promise.resolve('confirm'))
    const then = vi.fn()
    await confirmedStep({ ask: ['确定删除？', '删除模板', '删除'], step: () => Promise.resolve(7), done: '已删除', then })
    expect(said).toEqual(['已删除'])
    expect(then).toHaveBeenCalledWith(7)
  })

  it('does nothing when cancelled, and neither says done nor goes on when the step is refused', async () => {
    said.length = 0
    const step = vi.fn(() => Promise.reject(new Error('refused')))
    const then = vi.fn()
    answers.push(() => Promise.reject('cancel'))
    await confirmedStep({ ask: ['确定删除？', '删除模板', '删除'], step, done: '已删除', then })
    expect(step).not.toHaveBeenCalled()
    answers.push(() => Promise.resolve('confirm'))
    await confirmedStep({ ask: ['确定删除？', '删除模板', '删除'], step, done: '已删除', then })
    expect(step).toHaveBeenCalledOnce()
    expect(said).toEqual([])
    expect(then).not.toHaveBeenCalled()
  })
})
