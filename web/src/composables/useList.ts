import { reactive } from 'vue'
import { newest } from '@/utils/newest'

/** One page of a paged list endpoint (`{items, total, ...}`). */
export interface ListPage<T> {
  items: T[]
  total: number
}

/** What a list loader is asked for: the page the pager shows. */
export interface ListParams {
  page: number
  page_size: number
}

export interface ListOptions<A> {
  /** Rows per page (paged lists only); 20 unless told. */
  pageSize?: number
  /** Empty the rows when a load fails (the default), or keep the last ones shown. */
  clearOnError?: boolean
  /** Called with the newest answer once it is applied (e.g. to read its counts). */
  onLoaded?: (answer: A) => void
  /** Start as loading (a view that loads on mount, so its empty text says 加载中 at once). */
  startLoading?: boolean
}

/** The state of a list view, reactive: use it as `list.items`, `list.loading` in the
 *  script and the template alike. */
export interface List<T> {
  items: T[]
  /** All rows matching the filter (for an array answer: its length). */
  total: number
  loading: boolean
  /** The error of the newest load, null after a load that succeeded. */
  error: unknown
  /** The newest load failed. */
  readonly failed: boolean
  page: number
  pageSize: number
  /** Load the current page again (after an action, or when the pager moves). */
  load(): Promise<void>
  /** Back to page 1 and load (a changed filter or page size). */
  search(): Promise<void>
}

/**
 * A list that a view loads, pages through and reloads. Only the newest load's answer is
 * applied: a page loads on mount and again after a filter or an action, and when an
 * earlier, slower answer arrives last it must not replace the newer one (nor its error,
 * nor switch the spinner off while the newer load still runs).
 *
 *   const list = useList((p) => api.get('/api/v1/outbox/messages', { query: { ...filter, ...p } }))
 *   onMounted(list.load)
 *
 * The loader gets `{page, page_size}` and answers either a page (`{items, total}`) or a
 * plain array (a list that is not paged; `total` is then its length). Errors are shown
 * by the API client (unless the loader asks it to be quiet); the list keeps the error in
 * `error` and, unless `clearOnError: false`, shows no rows.
 */
export function useList<T, A extends ListPage<T> | T[] = ListPage<T> | T[]>(
  loader: (params: ListParams) => Promise<A>,
  options: ListOptions<A> = {},
): List<T> {
  const loads = newest()
  const clearOnError = options.clearOnError ?? true

  const list = reactive({
    items: [] as T[],
    total: 0,
    loading: options.startLoading ?? false,
    error: null as unknown,
    get failed(): boolean {
      return list.error !== null
    },
    page: 1,
    pageSize: options.pageSize ?? 20,
    load,
    search,
  }) as List<T>

  async function load(): Promise<void> {
    const current = loads.begin()
    list.loading = true
    list.error = null
    try {
      const answer = await loader({ page: list.page, page_size: list.pageSize })
      if (!current()) return
      if (Array.isArray(answer)) {
        list.items = answer
        list.total = answer.length
      } else {
        list.items = answer.items
        list.total = answer.total
      }
      options.onLoaded?.(answer)
    } catch (e) {
      if (!current()) return
      list.error = e
      if (clearOnError) {
        list.items = []
        list.total = 0
      }
    } finally {
      if (current()) list.loading = false
    }
  }

  function search(): Promise<void> {
    list.page = 1
    return load()
  }

  return list
}
