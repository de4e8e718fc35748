import { ref } from 'vue'
import { api, type Schemas } from '@/api/client'
import { newest } from '@/utils/newest'

type Filled = Schemas['FilledTemplate']

/**
 * 回复模板 of a move: the admin's snippets for the action and the case's kind, with the
 * variables already filled in by the server. `load` on each open (an empty list when the
 * move has no text to fill, or on failure); `choose` puts the chosen one's text in `fill`.
 */
export function useReplyTemplates(fill: (text: string) => void) {
  const templates = ref<Filled[]>([])
  const chosen = ref<number | null>(null)
  const loads = newest()

  async function load(caseId: number, action: string | null): Promise<void> {
    const current = loads.begin()
    templates.value = []
    chosen.value = null
    if (!action) return
    try {
      const found = await api.get('/api/v1/cases/{case_id}/reply-templates', {
        path: { case_id: caseId },
        query: { action },
        quiet: true,
      })
      if (current()) templates.value = found
    } catch {
      if (current()) templates.value = []
    }
  }

  function choose(id: number | null): void {
    const t = templates.value.find((x) => x.id === id)
    if (t) fill(t.text)
  }

  return { templates, chosen, load, choose }
}
