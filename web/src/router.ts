import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router'
import type { MenuIcon, MenuPlace } from './menu'
import { useAuth } from './stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    /** Reachable without signing in. */
    public?: boolean
    /** Permission (from /auth/me) needed to open the page. */
    permission?: string
    /** Where the side menu lists the page (absent: not in the menu); see `menu.ts`. */
    menu?: MenuPlace
    /** The menu entry's icon (a name from `MENU_ICONS`). */
    icon?: MenuIcon
  }
}

// Route paths avoid a leading `m`: the back end sends `/m...` to the mobile app.
// Menu entries come in the order of these routes.
export const routes: RouteRecordRaw[] = [
  { path: '/bigscreen', name: 'bigscreen', component: () => import('./views/insights/BigScreenView.vue'), meta: { title: '数据大屏', permission: 'insights.read' } },
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: () => import('./layouts/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => homeFor() },
      { path: 'password', name: 'password', component: () => import('./views/PasswordView.vue'), meta: { title: '修改密码' } },
      { path: 'profile/notifications', name: 'my-notifications', component: () => import('./views/NotificationsView.vue'), meta: { title: '通知设置' } },
      { path: 'workbench', name: 'workbench', component: () => import('./views/WorkbenchView.vue'), meta: { title: '工作台', permission: 'case.read', menu: 'main', icon: 'House' } },
      { path: 'cases/new', name: 'case-new', component: () => import('./views/CaseNewView.vue'), meta: { title: '登记诉求', permission: 'case.create', menu: 'main', icon: 'EditPen' } },
      { path: 'cases', name: 'ledger', component: () => import('./views/LedgerView.vue'), meta: { title: '案件台账', permission: 'case.read', menu: 'main', icon: 'Tickets' } },
      { path: 'inbox', name: 'inbox', component: () => import('./views/InboxView.vue'), meta: { title: '部门收件箱', permission: 'case.act', menu: 'main', icon: 'Box' } },
      { path: 'callbacks', name: 'callbacks', component: () => import('./views/feedback/CallbacksView.vue'), meta: { title: '回访工作台', permission: 'callback.work', menu: 'main', icon: 'Phone' } },
      { path: 'rectifications', name: 'rectifications', component: () => import('./views/feedback/RectificationsView.vue'), meta: { title: '整改与申诉', permission: 'feedback.read', menu: 'main', icon: 'Finished' } },
      { path: 'insights', name: 'insights', component: () => import('./views/insights/InsightsView.vue'), meta: { title: '统计分析', permission: 'insights.read', menu: 'main', icon: 'DataAnalysis' } },
      { path: 'ratings/rankings', name: 'rankings', component: () => import('./views/feedback/RankingsView.vue'), meta: { title: '好差评排名', permission: 'insights.read', menu: 'main', icon: 'Trophy' } },
      { path: 'insights/import', name: 'insights-import', component: () => import('./views/insights/ImportView.vue'), meta: { title: '数据导入', permission: 'case.import', menu: 'main', icon: 'Upload' } },
      { path: 'supervision/board', name: 'supervision-board', component: () => import('./views/supervision/BoardView.vue'), meta: { title: '督办看板', permission: 'supervision.read', menu: 'supervision', icon: 'Bell' } },
      { path: 'supervision/orders', name: 'supervision-orders', component: () => import('./views/supervision/OrdersView.vue'), meta: { title: '催办督办', permission: 'supervision.read', menu: 'supervision', icon: 'Tickets' } },
      { path: 'supervision/meetings', name: 'supervision-meetings', component: () => import('./views/supervision/MeetingsView.vue'), meta: { title: '联席会议', permission: 'supervision.read', menu: 'supervision', icon: 'Calendar' } },
      { path: 'supervision/library', name: 'supervision-library', component: () => import('./views/supervision/LibraryView.vue'), meta: { title: '案例库', permission: 'knowledge.read', menu: 'supervision', icon: 'Document' } },
      { path: 'supervision/systemic', name: 'supervision-systemic', component: () => import('./views/supervision/SystemicView.vue'), meta: { title: '类问题', permission: 'systemic.read', menu: 'supervision', icon: 'List' } },
      { path: 'org/departments', name: 'departments', component: () => import('./views/org/DepartmentsView.vue'), meta: { title: '部门机构', permission: 'org.read', menu: 'org', icon: 'OfficeBuilding' } },
      { path: 'org/matters', name: 'matters', component: () => import('./views/org/MattersView.vue'), meta: { title: '事项目录', permission: 'org.read', menu: 'org', icon: 'Document' } },
      { path: 'org/dispatch-catalogue', name: 'dispatch-catalogue', component: () => import('./views/org/DispatchCatalogueView.vue'), meta: { title: '派单目录', permission: 'org.read', menu: 'org', icon: 'Share' } },
      { path: 'org/halls', name: 'halls', component: () => import('./views/org/HallsView.vue'), meta: { title: '大厅窗口', permission: 'org.read', menu: 'org', icon: 'Files' } },
      { path: 'admin/users', name: 'users', component: () => import('./views/admin/UsersView.vue'), meta: { title: '用户与角色', permission: 'user.manage', menu: 'admin', icon: 'User' } },
      { path: 'admin/sla', name: 'sla', component: () => import('./views/admin/PoliciesView.vue'), meta: { title: '时限策略', permission: 'calendar.read', menu: 'admin', icon: 'Timer' } },
      { path: 'admin/calendar', name: 'calendar', component: () => import('./views/admin/CalendarView.vue'), meta: { title: '工作日历', permission: 'calendar.read', menu: 'admin', icon: 'Calendar' } },
      { path: 'admin/tokens', name: 'tokens', component: () => import('./views/admin/TokensView.vue'), meta: { title: '接口令牌', permission: 'token.manage', menu: 'admin', icon: 'Key' } },
      { path: 'admin/logs', name: 'logs', component: () => import('./views/admin/LogsView.vue'), meta: { title: '日志审计', permission: 'audit.read', menu: 'admin', icon: 'List' } },
      { path: 'admin/routing', name: 'routing-models', component: () => import('./views/admin/RoutingModelsView.vue'), meta: { title: '分派模型', permission: 'routing.models.read', menu: 'admin', icon: 'Connection' } },
      { path: 'admin/deliveries', name: 'deliveries', component: () => import('./views/admin/DeliveriesView.vue'), meta: { title: '投递记录', permission: 'outbox.read', menu: 'notify', icon: 'Promotion' } },
      { path: 'admin/templates', name: 'templates', component: () => import('./views/admin/TemplatesView.vue'), meta: { title: '消息模板', permission: 'notify.manage', menu: 'notify', icon: 'ChatLineSquare' } },
      { path: 'admin/reply-templates', name: 'reply-templates', component: () => import('./views/admin/ReplyTemplatesView.vue'), meta: { title: '回复模板', permission: 'reply_template.manage', menu: 'notify', icon: 'EditPen' } },
      { path: 'admin/webhooks', name: 'webhooks', component: () => import('./views/admin/WebhooksView.vue'), meta: { title: 'Webhook 订阅', permission: 'notify.manage', menu: 'notify', icon: 'Connection' } },
      { path: 'cases/:id(\\d+)', name: 'case', component: () => import('./views/CaseDetailView.vue'), props: (r) => ({ id: Number(r.params.id) }), meta: { title: '案件详情', permission: 'case.read' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('./views/ErrorPage.vue'), props: { icon: 'warning', subTitle: '您的角色不能使用此页面，如需开通请联系系统管理员。' }, meta: { title: '无权访问' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/ErrorPage.vue'), props: { icon: 'info', subTitle: '请检查地址是否正确。' }, meta: { title: '页面不存在' } },
    ],
  },
]

export function homeFor(): string {
  const auth = useAuth()
  if (auth.can('case.read')) return '/workbench'
  if (auth.can('user.manage')) return '/admin/users'
  if (auth.can('org.read')) return '/org/departments'
  return '/password'
}

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
})

// Start fetching the target page's code while the guard asks who is signed in, instead
// of after it (the router loads lazy components only once the guards have passed).
function preload(to: RouteLocationNormalized): void {
  for (const record of to.matched) {
    const c = record.components?.default
    if (typeof c === 'function') (c as () => Promise<unknown>)().catch(() => undefined)
  }
}

router.beforeEach(async (to) => {
  const auth = useAuth()
  if (!auth.loaded) {
    preload(to)
    try {
      await auth.fetchMe()
    } catch {
      // the server is unreachable: the sign-in page will say so when used
    }
  }
  if (to.meta.public) {
    if (to.name === 'login' && auth.me) return homeFor()
    return true
  }
  if (!auth.me) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  if (auth.me.must_change_password && to.name !== 'password') return { name: 'password' }
  if (to.meta.permission && !auth.can(to.meta.permission)) return { name: 'forbidden' }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 办成` : '办成'
})
