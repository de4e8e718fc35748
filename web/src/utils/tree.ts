import type { Department } from '@/api/types'

export interface DeptNode {
  value: number
  label: string
  level: string
  children?: DeptNode[]
  disabled?: boolean
}

/** The department list (ordered by path) as a tree for ElTreeSelect / ElTree. A unit
 *  whose parent is not in the list becomes a root. */
export function buildDepartmentTree(depts: Department[], opts: { includeInactive?: boolean } = {}): DeptNode[] {
  const nodes = new Map<number, DeptNode>()
  for (const d of depts) {
    if (!d.active && !opts.includeInactive) continue
    nodes.set(d.id, { value: d.id, label: d.name, level: d.level, disabled: !d.active })
  }
  const roots: DeptNode[] = []
  for (const d of depts) {
    const node = nodes.get(d.id)
    if (!node) continue
    const parent = d.parent_id != null ? nodes.get(d.parent_id) : undefined
    if (parent) (parent.children ??= []).push(node)
    else roots.push(node)
  }
  return roots
}

/** Ids of a unit and every unit below it, from the materialised `path` (`/1/4/17/`). */
export function subtreeIds(depts: Department[], id: number): number[] {
  const root = depts.find((d) => d.id === id)
  if (!root) return []
  return depts.filter((d) => d.path.startsWith(root.path)).map((d) => d.id)
}
