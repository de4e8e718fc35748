import { afterEach, describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'
import type { PublicCase } from './api'
import { SMS_OFF_CONFIRM, smsSwitch } from './sms'

function aCase(optOut: boolean): PublicCase {
  return reactive({ number: 'BC-2026-000123', sms_opt_out: optOut } as PublicCase)
}

/** Stub `fetch` to answer `status` with the JSON `body`; returns the stub. */
function answer(status: number, body: unknown) {
  const fetch = vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }))
  vi.stubGlobal('fetch', fetch)
  return fetch
}

function switchWith(agree: boolean) {
  const asked: string[] = []
  const told: string[] = []
  const s = smsSwitch({ confirm: async (m) => (asked.push(m), agree), toast: (m) => void told.push(m) })
  return { s, asked, told }
}

afterEach(() => vi.unstubAllGlobals())

describe('the SMS switch on the status page', () => {
  it('asks before turning SMS off, then posts the opt-out with the private link', async () => {
    const fetch = answer(200, { number: 'BC-2026-000123', opt_out: true })
    const { s, asked, told } = switchWith(true)
    const c = aCase(false)
    await s.set(c, 'tok en', false)
    expect(asked).toEqual([SMS_OFF_CONFIRM])
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/v1/public/cases/BC-2026-000123/notifications?token=tok%20en')
    expect(init.method).toBe('POST')
    expect(JSON.parse(String(init.body))).toEqual({ opt_out: true })
    expect(c.sms_opt_out).toBe(true)
    expect(told).toEqual(['已关闭短信通知'])
    expect(s.state).toEqual({ busy: false, error: '' })
  })

  it('sends nothing when the reporter does not confirm', async () => {
    const fetch = answer(200, {})
    const { s, told } = switchWith(false)
    const c = aCase(false)
    await s.set(c, 't', false)
    expect(fetch).not.toHaveBeenCalled()
    expect(c.sms_opt_out).toBe(false)
    expect(told).toEqual([])
  })

  it('turns SMS on again without asking', async () => {
    const fetch = answer(200, { number: 'BC-2026-000123', opt_out: false })
    const { s, asked, told } = switchWith(false)
    const c = aCase(true)
    await s.set(c, 't', true)
    expect(asked).toEqual([])
    expect(JSON.parse(String((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body))).toEqual({ opt_out: false })
    expect(c.sms_opt_out).toBe(false)
    expect(told).toEqual(['已开启短信通知'])
  })

  it('keeps the setting and shows the registry message on a refusal', async () => {
    answer(404, { code: 'public.not_found', detail: 'not found' })
    const { s, told } = switchWith(true)
    const c = aCase(false)
    await s.set(c, 'wrong', false)
    expect(c.sms_opt_out).toBe(false)
    expect(s.state).toEqual({ busy: false, error: '未找到对应的诉求，请核对受理编号和手机号' })
    expect(told).toEqual([])
  })

  it('says so when the network fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))))
    const { s } = switchWith(true)
    const c = aCase(true)
    await s.set(c, 't', true)
    expect(c.sms_opt_out).toBe(true)
    expect(s.state.error).toBe('网络连接失败，请检查网络后重试')
  })
})
