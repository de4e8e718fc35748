import { ref } from 'vue'
import { api } from '@/api/client'
import { newest } from '@/utils/newest'

export type SuggestInput = { title: string; description: string; matter_id: number | null }

function fetchSuggestion(input: SuggestInput) {
  return api.post('/api/v1/routing/suggest', {
    body: { title: input.title, description: input.description, matter_id: input.matter_id || null },
    quiet: true,
  })
}

export type Suggestion = Awaited<ReturnType<typeof fetchSuggestion>>

/**
 * Routing for what is being typed: ranked departments and similar earlier cases (POST
 * /routing/suggest), and a counter that asks the precedents panel to look up too. Nothing
 * is asked while title and description are both empty; only the newest answer is shown.
 */
export function useRoutingSuggestion() {
  const suggestion = ref<Suggestion | null>(null)
  const suggesting = ref(false)
  const precedentsTrigger = ref(0)
  const asks = newest()

  async function suggest(input: SuggestInput): Promise<void> {
    if (!input.title.trim() && !input.description.trim()) return
    const current = asks.begin()
    suggesting.value = true
    precedentsTrigger.value++
    try {
      const found = await fetchSuggestion(input)
      if (current()) suggestion.value = found
    } catch {
      if (current()) suggestion.value = null
    } finally {
      if (current()) suggesting.value = false
    }
  }

  return { suggestion, suggesting, precedentsTrigger, suggest }
}
