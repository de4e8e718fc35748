import type { Ref } from 'vue'

/**
 * Overlapping loads of the same list: only the newest one's answer may be applied. A page
 * loads on mount and again after an action; when the first answer arrives last it must
 * not replace the newer list.
 *
 *   const loads = newest()
 *   async function load() {
 *     const current = loads.begin()
 *     const found = await api.get(...)
 *     if (current()) rows.value = found
 *   }
 */
export function newest(): { begin: () => () => boolean } {
  let latest = 0
  return {
    begin() {
      const mine = ++latest
      return () => mine === latest
    },
  }
}

/**
 * A ref filled by loads that may overlap (a detail page reloading after each action, or
 * moving to another record): `await fill(api.get(...))` sets the ref only when no later
 * `fill` began meanwhile.
 */
export function newestInto<T>(target: Ref<T>): (answer: Promise<T>) => Promise<void> {
  const loads = newest()
  return async (answer) => {
    const current = loads.begin()
    const value = await answer
    if (current()) target.value = value
  }
}
