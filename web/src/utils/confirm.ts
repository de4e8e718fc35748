import { ElMessage, ElMessageBox } from 'element-plus'
import 'element-plus/es/components/message-box/style/css'

/**
 * Ask before a step that is not easily taken back (删除, 吊销, 回退, 导入…): a warning box with
 * `confirm` and 取消. Resolves true once confirmed, false when it is cancelled or closed.
 */
export async function confirmed(message: string, title: string, confirm: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, { type: 'warning', confirmButtonText: confirm, cancelButtonText: '取消' })
    return true
  } catch {
    return false
  }
}

export interface ConfirmedStep<T> {
  /** The question, its title and the confirm button (as `confirmed`). */
  ask: [message: string, title: string, confirm: string]
  /** The API call, once confirmed; its refusal is shown by the API client. */
  step: () => Promise<T>
  /** Said (ElMessage.success) once the step went through. */
  done: string
  /** Then (reload the list, put the answer in place). */
  then?: (answer: T) => void | Promise<void>
}

/** Ask, then take the step, say `done` and go on with `then`; nothing more when it is
 *  cancelled or the step is refused. */
export async function confirmedStep<T>(s: ConfirmedStep<T>): Promise<void> {
  if (!(await confirmed(...s.ask))) return
  try {
    const answer = await s.step()
    ElMessage.success(s.done)
    await s.then?.(answer)
  } catch {
    // shown by the client
  }
}
