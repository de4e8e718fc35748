import { reactive } from 'vue'
import { api, PublicError, type PublicCase } from './api'

export interface SmsSwitchDeps {
  /** Ask before SMS is turned off; resolves to whether the reporter agreed. */
  confirm: (message: string) => Promise<boolean>
  /** Say that the change took effect. */
  toast: (message: string) => void
}

export const SMS_OFF_CONFIRM = '关闭后，本诉求的受理、办理进度和评价邀请将不再以短信通知您，您仍可通过本页面查询进度。确定关闭短信通知吗？'

/**
 * The status page's SMS switch (docs/notifications.md, `reporter_opt_out`): turning SMS
 * off asks first; on again goes straight through. Only with the private link (the
 * server's `POST /public/cases/{number}/notifications` takes the token, not the phone).
 * On a refusal the case keeps its setting and `error` holds the message.
 */
export function smsSwitch(deps: SmsSwitchDeps) {
  const state = reactive({ busy: false, error: '' })

  async function set(c: PublicCase, token: string, receive: boolean): Promise<void> {
    state.error = ''
    if (receive === !c.sms_opt_out) return
    if (!receive && !(await deps.confirm(SMS_OFF_CONFIRM))) return
    state.busy = true
    try {
      const out = await api.smsOptOut(c.number, token, !receive)
      c.sms_opt_out = out.opt_out
      deps.toast(out.opt_out ? '已关闭短信通知' : '已开启短信通知')
    } catch (e) {
      state.error = e instanceof PublicError ? e.message : '设置失败，请稍后再试'
    } finally {
      state.busy = false
    }
  }

  return { state, set }
}
