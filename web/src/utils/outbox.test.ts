import { describe, expect, it } from 'vitest'
import { canReplay, deliveryError, preferencesProblem, canRetry, channelLabel, deliveryState, kindLabel, previewTemplate, stateOptions, unknownVariables, variablesIn } from './outbox'

describe('kindLabel', () => {
  it('names template kinds', () => {
    expect(kindLabel('reporter.accepted')).toBe('受理告知')
    expect(kindLabel('staff.light_red')).toBe('红灯超期')
  })
  it('names prefixed kinds by their family and event', () => {
    expect(kindLabel('webhook.case.created')).toBe('事件推送：案件登记')
    expect(kindLabel('webhook.case.new_thing', { 'case.new_thing': '新事件' })).toBe('事件推送：新事件')
    expect(kindLabel('notice.overdue')).toBe('站内提醒：超期催办')
    expect(kindLabel('hotline.resolved')).toBe('12345回传：已办结')
    expect(kindLabel('haochaping.rectified')).toBe('好差评推送：整改')
  })
  it('never shows a raw code', () => {
    expect(kindLabel('webhook.unknown.event')).toBe('事件推送')
    expect(kindLabel('reporter.something_new')).toBe('群众短信')
    expect(kindLabel('custom.thing')).toBe('其他消息')
    expect(kindLabel('plain')).toBe('其他消息')
    expect(kindLabel(null)).toBe('')
  })
})

describe('channelLabel', () => {
  it('names channels', () => {
    expect(channelLabel('sms')).toBe('短信')
    expect(channelLabel('email')).toBe('邮件')
    expect(channelLabel('inapp')).toBe('站内')
    expect(channelLabel('hotline')).toBe('其他渠道')
  })
})

describe('deliveryState', () => {
  it('tells a failed pending row from a fresh one', () => {
    expect(deliveryState({ state: 'pending', attempts: 0 })).toEqual({ label: '待发送', tag: 'info' })
    expect(deliveryState({ state: 'pending', attempts: 1, last_error: 'SMTP' })).toEqual({ label: '等待重试', tag: 'warning' })
    expect(deliveryState({ state: 'sent', attempts: 1 })).toEqual({ label: '已送达', tag: 'success' })
    expect(deliveryState({ state: 'dead', attempts: 8 })).toEqual({ label: '发送失败', tag: 'danger' })
    expect(deliveryState({ state: 'sending', attempts: 1 }).label).toBe('发送中')
    expect(deliveryState({ state: 'weird', attempts: 0 }).label).toBe('未知状态')
  })
})

describe('retry and replay', () => {
  it('offers retry for failed rows only', () => {
    expect(canRetry({ state: 'dead', attempts: 8 })).toBe(true)
    expect(canRetry({ state: 'pending', attempts: 2, last_error: 'x' })).toBe(true)
    expect(canRetry({ state: 'pending', attempts: 0 })).toBe(false)
    expect(canRetry({ state: 'sent', attempts: 1 })).toBe(false)
    expect(canRetry({ state: 'sending', attempts: 1 })).toBe(false)
  })
  it('offers replay for subscription webhooks', () => {
    expect(canReplay({ channel: 'webhook', subscription_id: 3 })).toBe(true)
    expect(canReplay({ channel: 'webhook', subscription_id: null })).toBe(false)
    expect(canReplay({ channel: 'sms', subscription_id: 3 })).toBe(false)
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
  it('says what went wrong in Chinese', () => {
    expect(deliveryError('SMTP is not configured (BANCHENG_SMTP_HOST)')).toBe('未配置邮件服务器')
    expect(deliveryError('SMTP 550: mailbox unavailable')).toBe('邮件服务器拒绝（550）')
    expect(deliveryError('HTTP 404: not found')).toBe('对方返回错误（HTTP 404）')
    expect(deliveryError('webhook.url_not_allowed: 只能使用公网地址')).toBe('只能使用 http(s) 公网地址，不能使用本机或内网地址')
    expect(deliveryError('ConnectError: [Errno 111] Connection refused')).toBe('网络连接失败')
    expect(deliveryError('ReadTimeout: timed out')).toBe('连接超时')
    expect(deliveryError('isv.BUSINESS_LIMIT_CONTROL: 触发流控')).toBe('发送失败')
    expect(deliveryError(null)).toBe('')
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
