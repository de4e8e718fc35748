// Display helpers of the deliveries, templates and notification-settings pages: every
// code the API returns (channel, kind, state) becomes Chinese; an unknown one falls back
// to a Chinese category, never to the raw code.
import {
  HAOCHAPING_STAGE,
  HOTLINE_RESULT,
  MESSAGE_KIND,
  NOTICE_KIND,
  OUTBOX_CHANNEL,
  OUTBOX_STATE,
  WEBHOOK_EVENT,
  type OutboxState,
} from '@/labels'
import { ERROR_MESSAGES } from '@/api/errors'

export type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'info'

/** `reporter.accepted` → 受理告知, `webhook.case.created` → 事件推送：案件登记,
 *  `notice.overdue` → 站内提醒：超期催办, `hotline.resolved` → 12345回传：已办结. */
export function kindLabel(kind: string | null | undefined, events: Record<string, string> = {}): string {
  if (!kind) return ''
  const known = MESSAGE_KIND[kind]
  if (known) return known
  const dot = kind.indexOf('.')
  const head = dot < 0 ? kind : kind.slice(0, dot)
  const rest = dot < 0 ? '' : kind.slice(dot + 1)
  const sub = (dict: Record<string, string>, prefix: string): string => {
    const text = dict[rest]
    return text ? `${prefix}：${text}` : prefix
  }
  switch (head) {
    case 'webhook':
      return sub({ ...WEBHOOK_EVENT, ...events }, '事件推送')
    case 'notice':
      return sub(NOTICE_KIND, '站内提醒')
    case 'hotline':
      return sub(HOTLINE_RESULT, '12345回传')
    case 'haochaping':
      return sub(HAOCHAPING_STAGE, '好差评推送')
    case 'reporter':
      return '群众短信'
    case 'staff':
      return '工作人员消息'
    default:
      return '其他消息'
  }
}

export function channelLabel(channel: string | null | undefined): string {
  if (!channel) return ''
  return OUTBOX_CHANNEL[channel] ?? '其他渠道'
}

interface StateLike {
  state: string
  attempts: number
  last_error?: string | null
}

/** A pending row that has already failed is 等待重试, not 待发送. */
export function deliveryState(m: StateLike): { label: string; tag: TagType } {
  switch (m.state as OutboxState) {
    case 'sent':
      return { label: OUTBOX_STATE.sent, tag: 'success' }
    case 'sending':
      return { label: OUTBOX_STATE.sending, tag: 'primary' }
    case 'dead':
      return { label: OUTBOX_STATE.dead, tag: 'danger' }
    case 'pending':
      if (m.attempts > 0 || m.last_error) return { label: '等待重试', tag: 'warning' }
      return { label: OUTBOX_STATE.pending, tag: 'info' }
    default:
      return { label: '未知状态', tag: 'info' }
  }
}

/** The server retries dead and waiting rows (`outbox.service.retry`); the button is
 *  offered for the ones that failed. */
export function canRetry(m: StateLike): boolean {
  return m.state === 'dead' || (m.state === 'pending' && (m.attempts > 0 || !!m.last_error))
}

/** Only webhook deliveries to a subscription can be replayed (`webhooks.replay`). */
export function canReplay(m: { channel: string; subscription_id?: number | null }): boolean {
  return m.channel === 'webhook' && m.subscription_id != null
}

/** Filter options for the state select: the counts the API gives per state. */
export function stateOptions(counts: Record<string, number> = {}): { value: OutboxState; label: string }[] {
  return (Object.keys(OUTBOX_STATE) as OutboxState[]).map((value) => ({
    value,
    label: counts[value] != null ? `${OUTBOX_STATE[value]}（${counts[value]}）` : OUTBOX_STATE[value],
  }))
}

/** `{number}` variables used in a text, in order of first use. */
export function variablesIn(text: string): string[] {
  const seen: string[] = []
  for (const m of text.matchAll(/\{(\w+)\}/g)) if (!seen.includes(m[1])) seen.push(m[1])
  return seen
}

/** Variables of `texts` that the template does not allow (the server refuses them with
 *  `notify.template_variable_unknown`; the page warns before saving). */
export function unknownVariables(allowed: string[], ...texts: string[]): string[] {
  const found = new Set(texts.flatMap(variablesIn))
  return [...found].filter((v) => !allowed.includes(v)).sort()
}

/** A template's text refused (notify.template_variable_unknown, reply_template.variable_unknown):
 *  the message beside the body names the variables the server listed. */
export function placeTemplateRefusal(errors: Record<string, string>, err: { message: string; body: Record<string, unknown> }): void {
  const vars = err.body.variables
  const message = Array.isArray(vars)
    ? `模板中有未知变量：${vars.map((v) => `{${String(v)}}`).join('、')}，请只使用列出的变量`
    : err.message
  if (errors.body || !Object.keys(errors).length) errors.body = message
}

/** Template preview: each `{name}` replaced by its Chinese label in 【】. */
export function previewTemplate(text: string, labels: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (labels[name] ? `【${labels[name]}】` : whole))
}

// The adapters' error texts (bancheng.outbox.*: DeliveryError), in Chinese.
const DELIVERY_ERRORS: [RegExp, string | ((m: RegExpMatchArray) => string)][] = [
  [/^SMTP is not configured/, '未配置邮件服务器'],
  [/^no e-mail address/, '没有电子邮箱地址'],
  [/^(recipient )?refused/, '邮件服务器拒收'],
  [/^SMTP (\d{3})/, (m) => `邮件服务器拒绝（${m[1]}）`],
  [/^SMTP connection lost/, '与邮件服务器的连接中断'],
  [/^Alibaba Cloud SMS is not configured/, '未配置阿里云短信'],
  [/^Tencent Cloud SMS is not configured/, '未配置腾讯云短信'],
  [/^no Alibaba Cloud template code/, '缺少阿里云短信模板编号'],
  [/^no Tencent Cloud template id/, '缺少腾讯云短信模板ID'],
  [/^no channel named/, '没有该发送渠道'],
  [/^worker lost during the last attempt/, '上次发送时发送进程中断'],
  [/^HTTP (\d{3})/, (m) => `对方返回错误（HTTP ${m[1]}）`],
  [/^\w*(Timeout|TimedOut)\w*:/, '连接超时'],
  [/^\w*(Connect|Network|Socket|OSError|ConnectionError|Remote|Protocol)\w*:/, '网络连接失败'],
]

/** A Chinese summary of a delivery error (`last_error`, an attempt's `error`). */
export function deliveryError(text: string | null | undefined): string {
  if (!text) return ''
  const code = /^([a-z_]+\.[a-z_.]+): /.exec(text)
  if (code && ERROR_MESSAGES[code[1]]) return ERROR_MESSAGES[code[1]]
  for (const [re, out] of DELIVERY_ERRORS) {
    const m = text.match(re)
    if (m) return typeof out === 'string' ? out : out(m)
  }
  return '发送失败'
}

/** Why the notification settings cannot be saved as they are (the server would refuse
 *  with `notify.email_missing` / `notify.phone_missing`), or null. */
export function preferencesProblem(
  kinds: Record<string, string[]>,
  email: string,
  hasPhone: boolean,
): { field: 'email' | 'phone'; message: string } | null {
  const used = new Set(Object.values(kinds).flat())
  if (used.has('email') && !email.trim()) return { field: 'email', message: '选择了邮件接收，请先填写电子邮箱' }
  if (email.trim() && (!email.includes('@') || /\s/.test(email.trim()))) return { field: 'email', message: '电子邮箱格式不正确' }
  if (used.has('sms') && !hasPhone) return { field: 'phone', message: '选择了短信接收，请先填写手机号码' }
  return null
}
