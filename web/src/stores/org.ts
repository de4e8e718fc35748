import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api/client'
import type { Department, Hall, Matter } from '@/api/types'
import { buildDepartmentTree } from '@/utils/tree'

/** The organisation's reference data, fetched once per session and shared by pages. */
export const useOrg = defineStore('org', () => {
  const departments = ref<Department[]>([])
  const matters = ref<Matter[]>([])
  const halls = ref<Hall[]>([])
  const pending = new Map<string, Promise<void>>()

  function once(key: string, load: () => Promise<void>): Promise<void> {
    let p = pending.get(key)
    if (!p) {
      p = load().catch((e) => {
        pending.delete(key)
        throw e
      })
      pending.set(key, p)
    }
    return p
  }

  const loadDepartments = () =>
    once('departments', async () => {
      departments.value = await api.get('/api/v1/departments')
    })
  const loadMatters = () =>
    once('matters', async () => {
      matters.value = await api.get('/api/v1/matters')
    })
  const loadHalls = () =>
    once('halls', async () => {
      halls.value = await api.get('/api/v1/halls')
    })

  const departmentTree = computed(() => buildDepartmentTree(departments.value))
  const departmentById = computed(() => new Map(departments.value.map((d) => [d.id, d])))
  const matterById = computed(() => new Map(matters.value.map((m) => [m.id, m])))

  /** Fetch again after an administrator changed something. */
  function refresh(key: 'departments' | 'matters' | 'halls'): Promise<void> {
    pending.delete(key)
    return { departments: loadDepartments, matters: loadMatters, halls: loadHalls }[key]()
  }

  function reset(): void {
    pending.clear()
    departments.value = []
    matters.value = []
    halls.value = []
  }

  return {
    departments,
    matters,
    halls,
    departmentTree,
    departmentById,
    matterById,
    loadDepartments,
    loadMatters,
    loadHalls,
    refresh,
    reset,
  }
})
