import { ref } from 'vue'
import { api } from '@/api/client'
import type { CaseDetail } from '@/api/types'
import { newest } from '@/utils/newest'
import type { CatalogueMatch } from './form'

/**
 * The dispatch catalogue's matches for a case (matter → lead and co-handling units), best
 * first; an empty list on failure. Only the newest lookup's answer is kept.
 */
export function useCatalogueMatches() {
  const matches = ref<CatalogueMatch[]>([])
  const loads = newest()

  function clear(): void {
    loads.begin()
    matches.value = []
  }

  /** Look the case up; resolves to the matches when this was the newest lookup. */
  async function load(c: Pick<CaseDetail, 'title' | 'description'>): Promise<CatalogueMatch[] | null> {
    const current = loads.begin()
    try {
      const found = await api.post('/api/v1/dispatch-catalogue/match', {
        body: { title: c.title, description: c.description },
        quiet: true,
      })
      if (!current()) return null
      matches.value = found
      return found
    } catch {
      if (current()) matches.value = []
      return null
    }
  }

  return { matches, clear, load }
}
