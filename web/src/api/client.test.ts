import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, buildQuery, configureClient, failureMessage, fillPath, newIdempotencyKey, readCookie, request, requestHeaders } from './client'

describe('CSRF header', () => {
  const cookies = 'other=1; bc_csrf=tok%2Ben-42; bc_session=secret'

  it('reads the token from the bc_csrf cookie', () => {
    expect(readCookie('bc_csrf', cookies)).toBe('tok+en-42')
    expect(readCookie('missing', cookies)).toBeUndefined()
  })

  it('is sent on unsafe methods only', () => {
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(requestHeaders(m, { cookies }).get('X-CSRF-Token')).toBe('tok+en-42')
    }
    for (const m of ['GET', 'HEAD', 'OPTIONS']) {
      expect(requestHeaders(m, { cookies }).get('X-CSRF-Token')).toBeNull()
    }
  })

  it('is left out when there is no cookie', () => {
    expect(requestHeaders('POST', { cookies: 'a=b' }).has('X-CSRF-Token')).toBe(false)
  })

  it('sets JSON content type only with a JSON body', () => {
    expect(requestHeaders('POST', { json: true, cookies }).get('Content-Type')).toBe('application/json')
    expect(requestHeaders('POST', { cookies }).get('Content-Type')).toBeNull()
  })
})

describe('buildQuery and fillPath', () => {
  it('joins lists with commas and leaves empty values out', () => {
    expect(buildQuery({ state: ['dispatched', 'accepted'], kind: [], q: '', department_id: null, page: 2, needs_supervision: false })).toBe(
      '?state=dispatched%2Caccepted&page=2&needs_supervision=false',
    )
    expect(buildQuery({})).toBe('')
    expect(buildQuery(undefined)).toBe('')
  })

  it('encodes keywords', () => {
    expect(buildQuery({ q: '公积金 提取&x' })).toBe('?q=%E5%85%AC%E7%A7%AF%E9%87%91+%E6%8F%90%E5%8F%96%26x')
  })

  it('fills path parameters', () => {
    expect(fillPath('/api/v1/cases/{case_id}/actions/{action}', { case_id: 7, action: 'give_feedback' })).toBe(
      '/api/v1/cases/7/actions/give_feedback',
    )
    expect(() => fillPath('/api/v1/cases/{case_id}', {})).toThrow()
  })
})

describe('request', () => {
  const notify = vi.fn()
  const onUnauthorized = vi.fn()
  const onPasswordChangeRequired = vi.fn()

  function respond(status: number, body: unknown, type = 'application/problem+json') {
    const fetchMock = vi.fn().mockResolvedValue(
      new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': type } }),
    )
    vi.stubGlobal('fetch', fetchMock)
    return fetchMock
  }

  beforeEach(() => {
    configureClient({ notify, onUnauthorized, onPasswordChangeRequired })
    document.cookie = 'bc_csrf=abc'
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.clearAllMocks()
  })

  it('sends JSON with credentials and the CSRF token', async () => {
    const f = respond(200, { ok: true }, 'application/json')
    await expect(request('POST', '/api/v1/x', { body: { a: 1 } })).resolves.toEqual({ ok: true })
    const [url, init] = f.mock.calls[0]
    expect(url).toBe('/api/v1/x')
    expect(init.credentials).toBe('same-origin')
    expect(init.body).toBe('{"a":1}')
    expect((init.headers as Headers).get('X-CSRF-Token')).toBe('abc')
  })

  it('turns a problem document into an ApiError with the Chinese message and shows it', async () => {
    respond(409, { code: 'case.version_conflict', detail: 'stale', status: 409, current_version: 4 })
    const err = (await request('POST', '/x', { body: {} }).catch((e) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('case.version_conflict')
    expect(err.status).toBe(409)
    expect(err.body.current_version).toBe(4)
    expect(err.message).toBe('案件已被他人修改，请刷新后重试')
    expect(notify).toHaveBeenCalledWith('案件已被他人修改，请刷新后重试')
  })

  it('stays quiet when asked', async () => {
    respond(400, { code: 'reporter.phone_invalid', detail: 'x' })
    await expect(request('POST', '/x', { body: {}, quiet: true })).rejects.toBeInstanceOf(ApiError)
    expect(notify).not.toHaveBeenCalled()
  })

  it('sends a 401 to the sign-in page, but not a wrong password', async () => {
    respond(401, { code: 'auth.required', detail: '请先登录' })
    await expect(request('GET', '/x')).rejects.toBeInstanceOf(ApiError)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(notify).not.toHaveBeenCalled()

    respond(401, { code: 'auth.invalid_credentials', detail: '用户名或密码错误' })
    await expect(request('POST', '/login', { body: {} })).rejects.toBeInstanceOf(ApiError)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(notify).toHaveBeenCalledWith('用户名或密码不正确')
  })

  it('sends a required password change to the password page', async () => {
    respond(403, { code: 'auth.password_change_required', detail: '请先修改初始密码' })
    await expect(request('GET', '/x')).rejects.toBeInstanceOf(ApiError)
    expect(onPasswordChangeRequired).toHaveBeenCalledTimes(1)
  })

  it('reports a network failure', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')))
    const err = (await request('GET', '/x').catch((e) => e)) as ApiError
    expect(err.status).toBe(0)
    expect(notify).toHaveBeenCalledWith('网络连接失败，请检查网络后重试')
  })

  it('returns nothing for 204', async () => {
    respond(204, undefined)
    await expect(request('POST', '/x')).resolves.toBeUndefined()
  })

  it('survives an error body that is not JSON', async () => {
    respond(502, '<html>bad gateway</html>', 'text/html')
    const err = (await request('GET', '/x').catch((e) => e)) as ApiError
    expect(err.code).toBe('http.502')
    expect(err.message).toBe('服务暂时不可用，请稍后重试')
  })
})

describe('newIdempotencyKey', () => {
  it('makes distinct version-4 UUIDs', () => {
    const a = newIdempotencyKey()
    const b = newIdempotencyKey()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a).not.toBe(b)
  })
})

describe('failureMessage', () => {
  it("says a refusal's own message, and the fallback for anything else", () => {
    expect(failureMessage(new ApiError(409, 'conflict', ''), '并单失败')).toBe('数据冲突，请刷新后重试')
    expect(failureMessage(new TypeError('bug'), '并单失败')).toBe('并单失败')
  })
})
