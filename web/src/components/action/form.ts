import type { Schemas } from '@/api/client'
import type { ActionIn, BlockerType, CaseDetail, Difficulty, Kind, Matter, Outcome, Rating } from '@/api/types'

// The form of one lifecycle move (ActionDialog) and the body it sends: which fields go in
// follows the move's `required` and `required_when` lists of GET /cases/{id}/actions
// (`needs`: always asked; `asks`: asked now, given the form).

export type IndicatorSet = Schemas['IndicatorSetOut']

/** A match of the dispatch catalogue for a case: its lead and co-handling units. */
export type CatalogueMatch = { entry_id: number; matter: string; department_id: number; co_department_ids: number[]; matched: string[] }

/** 窗口无否决权: asked when the outcome is 不能办理 (the server's `required_when`). */
export const NO_VETO_FIELDS = ['policy_explanation', 'alternative', 'alternative_owner'] as const

/** The window's rating: 整体满意度 is the level, as a score of the offline indicator set. */
export const LEVEL_SCORE: Record<string, number> = {
  very_satisfied: 5,
  satisfied: 4,
  basically_satisfied: 3,
  dissatisfied: 2,
  very_dissatisfied: 1,
}

/** A rating of 不满意 or worse asks for the reasons. */
export const isBad = (rating: Rating | null): boolean => !!rating && LEVEL_SCORE[rating] <= 2

/** The form of a move, filled from the case (its classification; for the feedback, the
 *  one-time notice drafted from the resolution and the matter's materials). */
export function blankActionForm(c: CaseDetail, needs: (field: string) => boolean, matter: (id: number) => Matter | undefined) {
  const form = {
    reason: '',
    department_id: null as number | null,
    suggested_department_id: null as number | null,
    outcome: undefined as Outcome | undefined,
    resolution: '',
    policy_explanation: '',
    alternative: '',
    alternative_owner: '',
    notification_text: '',
    notification_materials: [] as string[],
    rating: null as Rating | null,
    rating_channel: 'hall' as NonNullable<ActionIn['rating_channel']>,
    kind: c.kind as Kind | null,
    difficulty: c.difficulty as Difficulty | null,
    blocker_types: [...(c.blocker_types?.length ? c.blocker_types : [c.blocker_type])] as BlockerType[],
    end_as: undefined as 'unreasonable' | 'invalid' | undefined,
    nature: c.nature as 'cannot_by_policy' | 'hard_to_do' | null,
    matter_id: c.matter_id as number | null,
    new_due_date: null as string | null,
    approve: undefined as boolean | undefined,
    co_department_ids: [] as number[],
    co_due_workdays: null as number | null,
    reply: '',
    co_handling_note: '',
    scores: {} as Record<string, number>,
    bad_reasons: [] as string[],
  }
  if (needs('notification_text')) {
    const m = c.matter_id ? matter(c.matter_id) : undefined
    form.notification_materials = m ? [...m.materials] : []
    const parts = [`您反映的“${c.title}”已办理。`]
    if (c.resolution) parts.push(`办理情况：${c.resolution}`)
    if (c.outcome === 'cannot_by_policy') {
      if (c.policy_explanation) parts.push(`政策依据：${c.policy_explanation}`)
      if (c.alternative) parts.push(`可行办法：${c.alternative}（由${c.alternative_owner ?? ''}负责）`)
    }
    form.notification_text = parts.join('\n')
  }
  return form
}

export type ActionForm = ReturnType<typeof blankActionForm>

/** A catalogue match fills the lead unit and the co-handlers (the clerk may change each). */
export function applyMatch(form: ActionForm, m: CatalogueMatch): void {
  form.department_id = m.department_id
  form.co_department_ids = m.co_department_ids.filter((id) => id !== m.department_id)
}

export interface BodyContext {
  name: string
  caseData: CaseDetail
  needs: (field: string) => boolean
  asks: (field: string) => boolean
  /** The offline indicator set, when the move records a rating. */
  indicators: IndicatorSet | null
}

/** What the move sends: the fields it asks for, trimmed, with the case's current version. */
export function actionBody(form: ActionForm, { name, caseData: c, needs, asks, indicators }: BodyContext): ActionIn {
  const b: ActionIn = { version: c.version }
  const text = (s: string) => s.trim()
  if (needs('reason')) b.reason = text(form.reason)
  if (needs('department_id')) b.department_id = form.department_id
  if (needs('suggested_department_id')) b.suggested_department_id = form.suggested_department_id
  if (name === 'object' && form.suggested_department_id) b.suggested_department_id = form.suggested_department_id
  if (name === 'dispatch' && form.co_department_ids.length) {
    b.co_department_ids = [...form.co_department_ids]
    if (form.co_due_workdays) b.co_due_workdays = form.co_due_workdays
  }
  if (needs('reply')) b.reply = text(form.reply)
  if (needs('co_handling_note')) b.co_handling_note = text(form.co_handling_note)
  if (needs('outcome')) b.outcome = form.outcome ?? null
  if (needs('resolution')) b.resolution = text(form.resolution)
  for (const f of NO_VETO_FIELDS) if (asks(f)) b[f] = text(form[f])
  if (needs('notification_text')) {
    b.notification_text = text(form.notification_text)
    b.notification_materials = form.notification_materials.map((m) => m.trim()).filter(Boolean)
  }
  if (needs('rating')) {
    b.rating = form.rating
    b.rating_channel = form.rating_channel
    if (indicators && form.rating) {
      b.scores = Object.fromEntries(
        indicators.indicators.map((i) => [i.code, i.code === 'overall' ? LEVEL_SCORE[form.rating as string] : form.scores[i.code] || 1]),
      )
      if (isBad(form.rating)) b.bad_reasons = [...form.bad_reasons]
    }
  }
  if (needs('new_due_date')) b.new_due_date = form.new_due_date
  if (needs('end_as')) b.end_as = form.end_as ?? null
  if (needs('approve')) {
    b.approve = form.approve ?? null
    const note = form.reason.trim()
    if (note) b.reason = note
  }
  if (name === 'classify') Object.assign(b, classificationChanges(form, c))
  return b
}

/** 分类: only what the clerk changed of the case's classification. */
function classificationChanges(form: ActionForm, c: CaseDetail): Partial<ActionIn> {
  const b: Partial<ActionIn> = {}
  if (form.kind && form.kind !== c.kind) b.kind = form.kind
  if (form.difficulty && form.difficulty !== c.difficulty) b.difficulty = form.difficulty
  const before = c.blocker_types?.length ? c.blocker_types : [c.blocker_type]
  const main = (t: BlockerType[]) => t[0]
  const rest = (t: BlockerType[]) => [...t.slice(1)].sort().join(',')
  const changed = main(form.blocker_types) !== main(before) || rest(form.blocker_types) !== rest(before)
  if (form.blocker_types.length && changed) b.blocker_types = [...form.blocker_types]
  if (form.nature && form.nature !== c.nature) b.nature = form.nature
  if (form.matter_id && form.matter_id !== c.matter_id) b.matter_id = form.matter_id
  return b
}
