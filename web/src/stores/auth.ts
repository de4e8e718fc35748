import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, ApiError } from '@/api/client'
import type { Me } from '@/api/types'

export const useAuth = defineStore('auth', () => {
  const me = ref<Me | null>(null)
  const loaded = ref(false)

  /** Who is signed in (null when nobody). Asked once per page load; the guard waits. */
  async function fetchMe(): Promise<Me | null> {
    try {
      me.value = await api.get('/api/v1/auth/me', { quiet: true })
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e
      me.value = null
    } finally {
      loaded.value = true
    }
    return me.value
  }

  async function login(username: string, password: string): Promise<Me> {
    me.value = await api.post('/api/v1/auth/login', { body: { username, password }, quiet: true })
    loaded.value = true
    return me.value
  }

  async function logout(): Promise<void> {
    try {
      await api.post('/api/v1/auth/logout', { quiet: true })
    } catch {
      // already signed out (expired session): nothing to revoke
    }
    me.value = null
  }

  async function changePassword(current: string, next: string): Promise<void> {
    await api.post('/api/v1/auth/password', {
      body: { current_password: current, new_password: next },
      quiet: true,
    })
    if (me.value) me.value = { ...me.value, must_change_password: false }
  }

  function can(permission: string): boolean {
    return !!me.value?.permissions.includes(permission)
  }

  const role = computed(() => me.value?.role ?? '')

  return { me, loaded, role, fetchMe, login, logout, changePassword, can }
})
