import { describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { buildMenu, MENU_ICONS } from './menu'
import { routes } from './router'

setActivePinia(createPinia())

const all = () => true
const titles = (items: { title: string }[]) => items.map((i) => i.title)

describe('the side menu built from the routes', () => {
  it('lists the same entries, in the same order and groups, as the console always had', () => {
    const menu = buildMenu(routes, all)
    expect(menu.main.map((i) => [i.path, i.title, i.permission])).toEqual([
      ['/workbench', '工作台', 'case.read'],
      ['/cases/new', '登记诉求', 'case.create'],
      ['/cases', '案件台账', 'case.read'],
      ['/inbox', '部门收件箱', 'case.act'],
      ['/callbacks', '回访工作台', 'callback.work'],
      ['/rectifications', '整改与申诉', 'feedback.read'],
      ['/insights', '统计分析', 'insights.read'],
      ['/ratings/rankings', '好差评排名', 'insights.read'],
      ['/insights/import', '数据导入', 'case.import'],
    ])
    expect(menu.groups.map((g) => [g.title, g.items.map((i) => [i.path, i.title, i.permission])])).toEqual([
      ['督办与学习', [
        ['/supervision/board', '督办看板', 'supervision.read'],
        ['/supervision/orders', '催办督办', 'supervision.read'],
        ['/supervision/meetings', '联席会议', 'supervision.read'],
        ['/supervision/library', '案例库', 'knowledge.read'],
        ['/supervision/systemic', '类问题', 'systemic.read'],
      ]],
      ['组织机构', [
        ['/org/departments', '部门机构', 'org.read'],
        ['/org/matters', '事项目录', 'org.read'],
        ['/org/dispatch-catalogue', '派单目录', 'org.read'],
        ['/org/halls', '大厅窗口', 'org.read'],
      ]],
      ['系统管理', [
        ['/admin/users', '用户与角色', 'user.manage'],
        ['/admin/sla', '时限策略', 'calendar.read'],
        ['/admin/calendar', '工作日历', 'calendar.read'],
        ['/admin/tokens', '接口令牌', 'token.manage'],
        ['/admin/logs', '日志审计', 'audit.read'],
        ['/admin/routing', '分派模型', 'routing.models.read'],
      ]],
      ['消息通知', [
        ['/admin/deliveries', '投递记录', 'outbox.read'],
        ['/admin/templates', '消息模板', 'notify.manage'],
        ['/admin/reply-templates', '回复模板', 'reply_template.manage'],
        ['/admin/webhooks', 'Webhook 订阅', 'notify.manage'],
      ]],
    ])
  })

  it('gives each entry and group its icon', () => {
    const menu = buildMenu(routes, all)
    expect(menu.main[0].icon).toBe(MENU_ICONS.House)
    expect(menu.groups[0].icon).toBe(MENU_ICONS.Bell)
    expect(menu.groups[2].icon).toBe(MENU_ICONS.Setting)
  })

  it('shows only what the permissions grant, and drops a group left empty', () => {
    const granted = new Set(['case.read', 'knowledge.read', 'notify.manage'])
    const menu = buildMenu(routes, (p) => granted.has(p))
    expect(titles(menu.main)).toEqual(['工作台', '案件台账'])
    expect(menu.groups.map((g) => [g.title, titles(g.items)])).toEqual([
      ['督办与学习', ['案例库']],
      ['消息通知', ['消息模板', 'Webhook 订阅']],
    ])
  })

  it('is empty for an account with no permission', () => {
    expect(buildMenu(routes, () => false)).toEqual({ main: [], groups: [] })
  })

  it('leaves pages without a menu place out (case detail, sign-in, big screen)', () => {
    const paths = (m: ReturnType<typeof buildMenu>) => [...m.main, ...m.groups.flatMap((g) => g.items)].map((i) => i.path)
    const shown = paths(buildMenu(routes, all))
    for (const p of ['/login', '/bigscreen', '/password', '/profile/notifications', '/forbidden']) expect(shown).not.toContain(p)
    expect(shown.some((p) => p.includes(':id'))).toBe(false)
  })
})
