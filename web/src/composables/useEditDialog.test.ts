import { describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'
import { useEditDialog } from './useEditDialog'

interface Row {
  id: number
  name: string
  email: string
}

function dialog(submit: (form: { name: string; email: string; password: string }) => Promise<unknown>) {
  const shown: string[] = []
  const saved: unknown[] = []
  const d = useEditDialog<{ name: string; email: string; password: string }, Row>({
    blank: () => ({ name: '', email: '', password: '' }),
    fromRow: (r) => ({ name: r.name, email: r.email }),
    submit: (form) => submit(form),
    onSaved: (s) => void saved.push(s),
    mapErrors: (errors) => {
      if (errors.initial_password) errors.password = errors.initial_password
    },
    notify: (m) => shown.push(m),
  })
  return { d, shown, saved }
}

describe('useEditDialog', () => {
  it('opens blank or filled from the row', () => {
    const { d } = dialog(async () => undefined)
    d.open({ id: 1, name: '张三', email: 'z@example.cn' })
    expect(d.visible.value).toBe(true)
    expect(d.editing.value?.id).toBe(1)
    expect(d.form).toEqual({ name: '张三', email: 'z@example.cn', password: '' })
    d.open()
    expect(d.editing.value).toBeNull()
    expect(d.form).toEqual({ name: '', email: '', password: '' })
  })

  it('puts the fields of a 422 `errors` list beside their items and stays open', async () => {
    const err = new ApiError(422, 'request.malformed', '', {
      code: 'request.malformed',
      errors: [
        { loc: ['body', 'name'], type: 'string_too_short', msg: 'x' },
        { loc: ['body', 'initial_password'], type: 'missing', msg: 'x' },
      ],
    })
    const { d, shown, saved } = dialog(async () => Promise.reject(err))
    d.open()
    expect(await d.save()).toBeUndefined()
    expect(d.visible.value).toBe(true)
    expect(d.serverErrors).toEqual({ name: '不能为空', initial_password: '必填', password: '必填' })
    expect(shown).toEqual(['请求格式不正确'])
    expect(saved).toEqual([])
    expect(d.saving.value).toBe(false)
  })

  it('maps a domain refusal that names its field, and clears it on the next attempt', async () => {
    let answer: () => Promise<unknown> = async () =>
      Promise.reject(new ApiError(400, 'notify.email_invalid', '邮箱不对', { code: 'notify.email_invalid', field: 'email' }))
    const { d, saved } = dialog(() => answer())
    d.open()
    await d.save()
    expect(d.serverErrors).toEqual({ email: '电子邮箱格式不正确' })
    answer = async () => ({ id: 9 })
    expect(await d.save()).toEqual({ id: 9 })
    expect(d.serverErrors).toEqual({})
    expect(d.visible.value).toBe(false)
    expect(saved).toEqual([{ id: 9 }])
  })

  it('says the saved message, made from the answer, before onSaved and only on success', async () => {
    const order: string[] = []
    const success = vi.spyOn(ElMessage, 'success').mockImplementation((m) => {
      order.push(`said ${String(m)}`)
      return { close: () => undefined }
    })
    let answer: () => Promise<string> = async () => Promise.reject(new ApiError(409, 'conflict', '冲突', { code: 'conflict' }))
    const d = useEditDialog<{ name: string }, Row, string>({
      blank: () => ({ name: '' }),
      submit: () => answer(),
      savedMessage: (s) => `已保存：${s}`,
      onSaved: (s) => void order.push(`saved ${s}`),
      notify: (m) => order.push(`refused ${m}`),
    })
    d.open()
    await d.save()
    answer = async () => '张三'
    await d.save()
    expect(order).toEqual(['refused 数据冲突，请刷新后重试', 'said 已保存：张三', 'saved 张三'])
    success.mockRestore()
  })

  it('does not swallow an error that is not a refusal', async () => {
    const { d } = dialog(async () => Promise.reject(new TypeError('bug')))
    d.open()
    await expect(d.save()).rejects.toThrow('bug')
    expect(d.saving.value).toBe(false)
  })

  it('drives an open state the parent owns and tells it of each refusal', async () => {
    const open = ref(true)
    const refused: string[] = []
    const err = new ApiError(409, 'case.version_conflict', '', { code: 'case.version_conflict' })
    let answer: () => Promise<unknown> = async () => Promise.reject(err)
    const d = useEditDialog<{ reason: string }>({
      visible: open,
      blank: () => ({ reason: '' }),
      submit: () => answer(),
      onRefused: (e) => refused.push(e.code),
      notify: () => undefined,
    })
    expect(d.visible).toBe(open)
    await d.save()
    expect(refused).toEqual(['case.version_conflict'])
    expect(open.value).toBe(true)
    answer = async () => 'ok'
    expect(await d.save()).toBe('ok')
    expect(open.value).toBe(false)
    expect(refused).toEqual(['case.version_conflict'])
  })
})
