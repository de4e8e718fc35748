import { beforeEach, describe, expect, it, vi } from 'vitest'

// The API, answered by hand in the order the test chooses.
const pending: { path: string; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = []
vi.mock('@/api/client', () => {
  const call = (path: string) => new Promise((resolve, reject) => pending.push({ path, resolve, reject }))
  return { api: { get: call, post: call }, ApiError: class extends Error {} }
})

const { blankCaseForm, casePayload, caseRules, percent } = await import('./form')
const { useReporterHistory } = await import('./useReporterHistory')
const { useRoutingSuggestion } = await import('./useRoutingSuggestion')

beforeEach(() => {
  pending.length = 0
})

describe('the new-case form', () => {
  it('sends trimmed text, the first blocker type as the main one, and no empty location', () => {
    const form = blankCaseForm()
    form.title = ' 公积金提取 '
    form.description = '要求重复提供证明 '
    form.blocker_types = ['rigid_policy', 'other']
    form.reporter.name = ' 张三 '
    form.reporter.phone = '139 0979 1234'
    form.reporter.id_number = '11010519491231002x'
    form.reporter.org_name = '某公司'
    form.window_id = 3
    const p = casePayload(form)
    expect(p.title).toBe('公积金提取')
    expect(p.blocker_type).toBe('rigid_policy')
    expect(p.blocker_types).toEqual(['rigid_policy', 'other'])
    expect(p.location).toBeNull()
    expect(p.window_id).toBeNull() // no hall, no window
    expect(p.reporter).toEqual({ type: 'person', name: '张三', phone: '139 0979 1234', id_number: '11010519491231002X', org_name: null, credit_code: null })
  })

  it('sends a location once an address or a coordinate is given', () => {
    const form = blankCaseForm()
    form.latitude = 36.6
    expect(casePayload(form).location).toEqual({ address: null, latitude: 36.6, longitude: null, datum: 'gcj02' })
  })

  it('asks an enterprise for its name and credit code', () => {
    expect(caseRules(false)['reporter.org_name']).toEqual([])
    expect(caseRules(true)['reporter.org_name']).toEqual([{ required: true, message: '请填写企业名称', trigger: 'blur' }])
    expect(caseRules(true)['reporter.credit_code']).toHaveLength(2)
  })

  it('shows shares with one decimal', () => {
    expect(percent(0.12345)).toBe('12.3%')
    expect(percent(1)).toBe('100%')
  })
})

describe('the reporter history', () => {
  it('looks a valid phone up once and keeps only the newest answer', async () => {
    const h = useReporterHistory(() => true)
    await h.lookup('12345') // not a phone
    expect(pending).toHaveLength(0)
    const first = h.lookup('13909791234')
    const second = h.lookup('13800002222')
    expect(h.lookingUp.value).toBe(true)
    pending[1].resolve([{ id: 2 }])
    await second
    pending[0].resolve([{ id: 1 }, { id: 9 }])
    await first
    expect(h.history.value).toEqual([{ id: 2 }])
    expect(h.lookingUp.value).toBe(false)
    await h.lookup('138 0000 2222') // the same phone again
    expect(pending).toHaveLength(2)
  })

  it('does not look up without the permission', async () => {
    const h = useReporterHistory(() => false)
    await h.lookup('13909791234')
    expect(pending).toHaveLength(0)
    expect(h.history.value).toBeNull()
  })
})

describe('the routing suggestion', () => {
  it('asks nothing for an empty case, and shows only the newest answer', async () => {
    const s = useRoutingSuggestion()
    await s.suggest({ title: ' ', description: '', matter_id: null })
    expect(pending).toHaveLength(0)
    expect(s.precedentsTrigger.value).toBe(0)
    const first = s.suggest({ title: '公积金', description: '', matter_id: null })
    const second = s.suggest({ title: '公积金提取', description: '', matter_id: null })
    expect(s.precedentsTrigger.value).toBe(2)
    pending[1].resolve({ units: ['newer'] })
    await second
    expect(s.suggesting.value).toBe(false)
    pending[0].reject(new Error('late failure'))
    await first
    expect(s.suggestion.value).toEqual({ units: ['newer'] })
  })
})
