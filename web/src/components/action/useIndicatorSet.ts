import { ref } from 'vue'
import { api } from '@/api/client'
import type { IndicatorSet } from './form'

/**
 * The active offline indicator set (GB/T 39734-2020) the window rates with: read once,
 * on the first rating; null when there is none or it cannot be read.
 */
export function useIndicatorSet() {
  const set = ref<IndicatorSet | null>(null)

  async function load(): Promise<IndicatorSet | null> {
    if (set.value) return set.value
    try {
      const sets = await api.get('/api/v1/feedback/indicator-sets', { quiet: true })
      set.value = sets.find((x) => x.channel_type === 'offline' && x.active) ?? null
    } catch {
      set.value = null
    }
    return set.value
  }

  return { set, load }
}
