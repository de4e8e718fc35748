import { ElMessage, type UploadUserFile } from 'element-plus'
import { api, failureMessage } from '@/api/client'

/** Upload the files chosen on the new-case form to the case just created, one by one;
 *  each failure is said and counted (they can be uploaded again on the case's page). */
export async function uploadAttachments(caseId: number, files: UploadUserFile[]): Promise<number> {
  let failed = 0
  for (const f of files) {
    if (!f.raw) continue
    const fd = new FormData()
    fd.append('file', f.raw, f.name)
    try {
      await api.post('/api/v1/cases/{case_id}/attachments', { path: { case_id: caseId }, form: fd, quiet: true })
    } catch (e) {
      failed++
      ElMessage.error(`附件“${f.name}”上传失败：${failureMessage(e, '未知错误')}`)
    }
  }
  return failed
}
