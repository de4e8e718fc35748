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
