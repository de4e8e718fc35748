// The side menu, built from the routes' meta (`title`, `permission`, `icon`, `menu`):
// a page is in the menu when its route names a `menu` place, in the order of the routes.
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import {
  Bell,
  Box,
  Calendar,
  ChatLineSquare,
  Connection,
  DataAnalysis,
  Document,
  EditPen,
  Files,
  Finished,
  House,
  Key,
  List,
  Message,
  OfficeBuilding,
  Phone,
  Promotion,
  Setting,
  Share,
  Tickets,
  Timer,
  Trophy,
  Upload,
  User,
} from '@element-plus/icons-vue'

/** The icons a menu entry may name (`meta.icon`); names, so the router stays free of components. */
export const MENU_ICONS = {
  Bell, Box, Calendar, ChatLineSquare, Connection, DataAnalysis, Document, EditPen, Files, Finished,
  House, Key, List, Message, OfficeBuilding, Phone, Promotion, Setting, Share, Tickets, Timer, Trophy,
  Upload, User,
} satisfies Record<string, Component>
export type MenuIcon = keyof typeof MENU_ICONS

/** The sub-menus, in their order; `main` entries stand above them. */
export const MENU_GROUPS = [
  { key: 'supervision', title: '督办与学习', icon: 'Bell' },
  { key: 'org', title: '组织机构', icon: 'OfficeBuilding' },
  { key: 'admin', title: '系统管理', icon: 'Setting' },
  { key: 'notify', title: '消息通知', icon: 'Message' },
] as const satisfies readonly { key: string; title: string; icon: MenuIcon }[]
export type MenuPlace = 'main' | (typeof MENU_GROUPS)[number]['key']

export interface MenuItem {
  path: string
  title: string
  icon: Component
  permission: string
}
export interface MenuGroup {
  title: string
  icon: Component
  items: MenuItem[]
}
export interface Menu {
  main: MenuItem[]
  groups: MenuGroup[]
}

function joinPath(base: string, path: string): string {
  if (path.startsWith('/')) return path
  return `${base.replace(/\/$/, '')}/${path}`
}

/** The menu the caller may see: entries whose permission `can` grants, groups that keep
 *  at least one entry. */
export function buildMenu(routes: readonly RouteRecordRaw[], can: (permission: string) => boolean): Menu {
  const byPlace = new Map<string, MenuItem[]>()
  const walk = (records: readonly RouteRecordRaw[], base: string): void => {
    for (const r of records) {
      const path = joinPath(base, r.path)
      const meta = r.meta
      if (meta?.menu && meta.title && meta.permission && can(meta.permission)) {
        const items = byPlace.get(meta.menu) ?? []
        items.push({ path, title: meta.title, icon: MENU_ICONS[meta.icon ?? 'Document'], permission: meta.permission })
        byPlace.set(meta.menu, items)
      }
      if (r.children) walk(r.children, path)
    }
  }
  walk(routes, '/')
  return {
    main: byPlace.get('main') ?? [],
    groups: MENU_GROUPS.filter((g) => byPlace.get(g.key)?.length).map((g) => ({
      title: g.title,
      icon: MENU_ICONS[g.icon],
      items: byPlace.get(g.key)!,
    })),
  }
}
