import { describe, expect, it } from 'vitest'
import { canReplay, deliveryError, preferencesProblem, canRetry, channelLabel, deliveryState, kindLabel, previewTemplate, stateOptions, unknownVariables, variablesIn } from './outbox'

describe('kindLabel', () => {
  it.each([
    ['reporter.accepted', '受理告知'],
    ['staff.light_red', '红灯超期'],
  ])('names the template kind %s: %s', (kind, label) => {
    expect(kindLabel(kind)).toBe(label)
  })
  it.each([
    ['webhook.case.created', '事件推送：案件登记'],
    ['notice.overdue', '站内提醒：超期催办'],
    ['hotline.resolved', '12345回传：已办结'],
    ['haochaping.rectified', '好差评推送：整改'],
  ])('names the prefixed kind %s by its family and event: %s', (kind, label) => {
    expect(kindLabel(kind)).toBe(label)
  })
  it('names a prefixed kind by an event it is told of', () => {
    expect(kindLabel('webhook.case.new_thing', { 'case.new_thing': '新事件' })).toBe('事件推送：新事件')
  })
  it.each([
    ['webhook.unknown.event', '事件推送'],
    ['reporter.something_new', '群众短信'],
    ['custom.thing', '其他消息'],
    ['plain', '其他消息'],
    [null, ''],
  ])('never shows a raw code: %s is %j', (kind, label) => {
    expect(kindLabel(kind)).toBe(label)
  })
})

describe('channelLabel', () => {
  it.each([
    ['sms', '短信'],
    ['email', '邮件'],
    ['inapp', '站内'],
    ['hotline', '其他渠道'],
  ])('names the channel %s: %s', (channel, label) => {
    expect(channelLabel(channel)).toBe(label)
  })
})

describe('deliveryState', () => {
  // A pending row that has failed before waits for a retry; a fresh one waits to be sent.
  it.each([
    [{ state: 'pending', attempts: 0 }, { label: '待发送', tag: 'info' }],
    [{ state: 'pending', attempts: 1, last_error: 'SMTP' }, { label: '等待重试', tag: 'warning' }],
    [{ state: 'sent', attempts: 1 }, { label: '已送达', tag: 'success' }],
    [{ state: 'dead', attempts: 8 }, { label: '发送失败', tag: 'danger' }],
  ])('shows %o as %o', (row, shown) => {
    expect(deliveryState(row)).toEqual(shown)
  })
  it.each([
    [{ state: 'sending', attempts: 1 }, '发送中'],
    [{ state: 'weird', attempts: 0 }, '未知状态'],
  ])('labels %o %s', (row, label) => {
    expect(deliveryState(row).label).toBe(label)
  })
})

describe('retry and replay', () => {
  it.each([
    [{ state: 'dead', attempts: 8 }, true],
    [{ state: 'pending', attempts: 2, last_error: 'x' }, true],
    [{ state: 'pending', attempts: 0 }, false],
    [{ state: 'sent', attempts: 1 }, false],
    [{ state: 'sending', attempts: 1 }, false],
  ])('offers retry for failed rows only: %o → %s', (row, offered) => {
    expect(canRetry(row)).toBe(offered)
  })
  it.each([
    [{ channel: 'webhook', subscription_id: 3 }, true],
    [{ channel: 'webhook', subscription_id: null }, false],
    [{ channel: 'sms', subscription_id: 3 }, false],
  ])('offers replay for subscription webhooks: %o → %s', (row, offered) => {
    expect(canReplay(row)).toBe(offered)
  })
})

describe('stateOptions', () => {
  it('adds the counts', () => {
    const o = stateOptions({ sent: 12, dead: 1 })
    expect(o.map((x) => x.value)).toEqual(['pending', 'sending', 'sent', 'dead'])
    expect(o[2].label).toBe('已送达（12）')
    expect(o[0].label).toBe('待发送')
  })
})

describe('template variables', () => {
  it('finds variables in order', () => {
    expect(variablesIn('编号{number}，期限{deadline}，{number}')).toEqual(['number', 'deadline'])
  })
  it('finds the ones not allowed', () => {
    expect(unknownVariables(['number', 'link'], '诉求{number}{foo}', '{bar}{link}')).toEqual(['bar', 'foo'])
    expect(unknownVariables(['number'], '诉求{number}')).toEqual([])
  })
  it('previews with Chinese names', () => {
    expect(previewTemplate('编号{number}{x}', { number: '案件编号' })).toBe('编号【案件编号】{x}')
  })
})

describe('deliveryError', () => {
  it.each([
    ['SMTP is not configured (BANCHENG_SMTP_HOST)', '未配置邮件服务器'],
    ['SMTP 550: mailbox unavailable', '邮件服务器拒绝（550）'],
    ['HTTP 404: not found', '对方返回错误（HTTP 404）'],
    ['webhook.url_not_allowed: 只能使用公网地址', '只能使用 http(s) 公网地址，不能使用本机或内网地址'],
    ['ConnectError: [Errno 111] Connection refused', '网络连接失败'],
    ['ReadTimeout: timed out', '连接超时'],
    ['isv.BUSINESS_LIMIT_CONTROL: 触发流控', '发送失败'],
    [null, ''],
  ])('says what went wrong in Chinese: %s → %j', (text, said) => {
    expect(deliveryError(text)).toBe(said)
  })
})

describe('preferencesProblem', () => {
  it('needs an address for the channels chosen', () => {
    expect(preferencesProblem({ a: ['inapp'] }, '', false)).toBeNull()
    expect(preferencesProblem({ a: ['inapp', 'email'] }, ' ', false)?.field).toBe('email')
    expect(preferencesProblem({ a: ['email'] }, 'li@example.gov.cn', false)).toBeNull()
    expect(preferencesProblem({ a: [] }, 'not-an-address', false)?.message).toBe('电子邮箱格式不正确')
    expect(preferencesProblem({ a: ['sms'] }, '', false)).toEqual({ field: 'phone', message: '选择了短信接收，请先填写手机号码' })
    expect(preferencesProblem({ a: ['sms'] }, '', true)).toBeNull()
  })
})
