import type { AvailableAction } from '@/api/types'

/** What the dialog of one move reads of `GET /cases/{id}/actions`. */
export type ActionNeeds = Pick<AvailableAction, 'required' | 'required_when'>

/**
 * The fields a move asks for, from the server's rules only: `required` always, and each
 * `required_when` field once the form's `when_field` equals `equals` (the no-veto fields
 * when the outcome is 不能办理, a reason when a request is refused). The console has no
 * rule of its own about which fields a move needs.
 */
export function fieldsNeeded(action: ActionNeeds | null, form: Readonly<Record<string, unknown>>): Set<string> {
  const needed = new Set(action?.required ?? [])
  for (const w of action?.required_when ?? []) {
    if (form[w.when_field] === w.equals) needed.add(w.field)
  }
  return needed
}

/** Every field the move may ask for (always or on a condition): the fields its form offers. */
export function fieldsOffered(action: ActionNeeds | null): Set<string> {
  return new Set([...(action?.required ?? []), ...(action?.required_when ?? []).map((w) => w.field)])
}
