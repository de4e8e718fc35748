import { ref } from 'vue'
import { api } from '@/api/client'
import type { CaseSummary } from '@/api/types'
import { newest } from '@/utils/newest'
import { normalizePhone } from '@/utils/validators'

/**
 * The reporter's earlier cases, looked up by phone (to spot a repeated report). A phone
 * already looked up, or not a valid one, is not looked up again; the phone may change
 * while a lookup runs, so only the newest lookup's answer is shown. `allowed` is the
 * caller's `reporter.lookup` permission.
 */
export function useReporterHistory(allowed: () => boolean) {
  const history = ref<CaseSummary[] | null>(null)
  const lookingUp = ref(false)
  const lookedUpPhone = ref('')
  const lookups = newest()

  async function lookup(raw: string): Promise<void> {
    const phone = normalizePhone(raw)
    if (!allowed() || !phone || phone === lookedUpPhone.value) return
    const current = lookups.begin()
    lookingUp.value = true
    try {
      const found = await api.get('/api/v1/cases/by-phone', { query: { phone } })
      if (!current()) return
      history.value = found
      lookedUpPhone.value = phone
    } catch {
      if (current()) history.value = null
    } finally {
      if (current()) lookingUp.value = false
    }
  }

  return { history, lookingUp, lookup }
}
