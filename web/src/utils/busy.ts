import type { Ref } from 'vue'

/** Hold `flag` true while `work` runs (a spinner); resolves or rejects as `work` does. */
export async function whileBusy<T>(flag: Ref<boolean>, work: () => Promise<T>): Promise<T> {
  flag.value = true
  try {
    return await work()
  } finally {
    flag.value = false
  }
}
