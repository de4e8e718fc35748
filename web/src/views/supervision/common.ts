// Labels shared by the supervision pages.
import { formatDateTime } from '@/utils/format'

export const ORDER_KIND: Record<string, string> = { urge: '催办', supervise: '督办' }
export const ORDER_STATUS: Record<string, string> = { open: '待回复', replied: '已回复', closed: '已办结' }
export const MEETING_KIND: Record<string, string> = { joint_meeting: '联席会议', task_force: '工作专班' }
export const LIGHT: Record<string, { text: string; type: 'success' | 'warning' | 'danger' }> = {
  green: { text: '正常', type: 'success' },
  yellow: { text: '临期', type: 'warning' },
  red: { text: '逾期', type: 'danger' },
}
export const CHANGE_TYPE: Record<string, string> = {
  service_guide_revised: '修订办事指南',
  system_fixed: '修复业务系统',
  rule_proposed: '提出制度修改建议',
}
export const ISSUE_STATUS: Record<string, string> = { open: '待整改', addressed: '已整改', closed: '已销号' }
export const LIBRARY_STATUS: Record<string, string> = { draft: '草稿待审核', published: '已发布' }
export const FINDING_KIND: Record<string, string> = {
  phone: '电话',
  id_number: '身份证号',
  credit_code: '信用代码',
  name: '姓名',
  address: '地址',
}

/** "12, 15 16" → [12, 15, 16] */
export function parseIds(text: string): number[] {
  return text
    .split(/[\s,，、]+/)
    .map((s) => Number(s))
    .filter((n) => Number.isInteger(n) && n > 0)
}

export function localDateTime(iso: string | null | undefined): string {
  return formatDateTime(iso)
}
