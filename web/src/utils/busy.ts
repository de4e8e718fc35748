import type { Ref } from 'vue'
import { ApiError, failureMessage } from '@/api/client'

/** Hold `flag` true while `work` runs (a spinner); resolves or rejects as `work` does. */
export async function whileBusy<T>(flag: Ref<boolean>, work: () => Promise<T>): Promise<T> {
  flag.value = true
  try {
    return await work()
  } finally {
    flag.value = false
  }
}

/** Take an API step with `flag` held true (a spinning button): a refusal (`ApiError`, which
 *  the API client has shown) ends the step quietly; any other error is thrown on. */
export function busyStep(flag: Ref<boolean>, step: () => Promise<void>): Promise<void> {
  return whileBusy(flag, async () => {
    try {
      await step()
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
    }
  })
}

/** Take a step with `error` cleared and `flag` held true (a form that shows its own error
 *  line): a failure puts what to tell the user (`failureMessage`, else `fallback`) in
 *  `error` instead of being thrown. */
export async function stepShowingError(flag: Ref<boolean>, error: Ref<string>, fallback: string, step: () => Promise<void>): Promise<void> {
  error.value = ''
  await whileBusy(flag, async () => {
    try {
      await step()
    } catch (e) {
      error.value = failureMessage(e, fallback)
    }
  })
}
