import { ElMessageBox } from 'element-plus'
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
