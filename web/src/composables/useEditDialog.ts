import { reactive, ref, type Ref } from 'vue'
import { ElMessage, type FormInstance } from 'element-plus'
import { ApiError } from '@/api/client'
import { fieldErrors } from '@/api/fields'

export interface EditDialogOptions<F extends object, R, S> {
  /** The form of a new record (called on every open). */
  blank: () => F
  /** The form filled from the record being edited. */
  fromRow?: (row: R) => Partial<F>
  /** Send the form (with `quiet: true`, so that the dialog shows the refusal). */
  submit: (form: F, editing: R | null) => Promise<S>
  /** Said (ElMessage.success) after a successful submit, once the dialog has closed and
   *  before `onSaved`: the text, or made from what `submit` answered. */
  savedMessage?: string | ((saved: S) => string)
  /** After a successful submit, once the dialog has closed (reload the list). */
  onSaved?: (saved: S, editing: R | null) => void | Promise<void>
  /** Adjust the field errors found in a refusal (e.g. the server's `initial_password` is
   *  the form's `password`). */
  mapErrors?: (errors: Record<string, string>, err: ApiError) => void
  /** How a refusal's message is shown (ElMessage.error unless told). */
  notify?: (message: string) => void
  /** Called with each refusal, after its field errors are placed (e.g. to tell a parent). */
  onRefused?: (err: ApiError) => void
  /** The open state, when the dialog's parent owns it (a component's `defineModel`). */
  visible?: Ref<boolean>
}

export interface EditDialog<F extends object, R, S> {
  /** The dialog is open (`v-model` of `<el-dialog>`). */
  visible: Ref<boolean>
  /** The record being edited, null for a new one. */
  editing: Ref<R | null>
  form: F
  saving: Ref<boolean>
  /** `ref` of the `<el-form>`: its rules are checked before submitting. */
  formRef: Ref<FormInstance | undefined>
  /** `{field: Chinese message}` from the server's refusal, for `:error` of each item. */
  serverErrors: Record<string, string>
  open(row?: R | null): void
  close(): void
  /** Check the rules, send, close on success; on a refusal keep the dialog open and put
   *  each named field's message beside it. Resolves to what `submit` answered, or
   *  undefined when nothing was saved. */
  save(): Promise<S | undefined>
}

/**
 * An add/edit dialog: open it blank or filled from a row, check the form's rules, send,
 * and map a refusal (problem+json: the `errors` list of a 422, `field`/`fields`, or a code
 * that names a field — see `api/fields.ts`) onto the form items.
 */
export function useEditDialog<F extends object, R = never, S = unknown>(
  options: EditDialogOptions<F, R, S>,
): EditDialog<F, R, S> {
  const visible = options.visible ?? ref(false)
  const editing = ref<R | null>(null) as Ref<R | null>
  const saving = ref(false)
  const formRef = ref<FormInstance>()
  const form = reactive(options.blank()) as F
  const serverErrors = reactive<Record<string, string>>({})
  const notify = options.notify ?? ((m: string) => void ElMessage.error(m))

  function clearErrors(): void {
    for (const k of Object.keys(serverErrors)) delete serverErrors[k]
  }

  function open(row: R | null = null): void {
    editing.value = row
    Object.assign(form, options.blank(), row !== null && options.fromRow ? options.fromRow(row) : {})
    clearErrors()
    visible.value = true
  }

  function close(): void {
    visible.value = false
  }

  async function save(): Promise<S | undefined> {
    clearErrors()
    if (formRef.value && !(await formRef.value.validate().catch(() => false))) return undefined
    saving.value = true
    let saved: S
    try {
      saved = await options.submit(form, editing.value)
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      const found = fieldErrors(e)
      options.mapErrors?.(found, e)
      Object.assign(serverErrors, found)
      notify(e.message)
      options.onRefused?.(e)
      return undefined
    } finally {
      saving.value = false
    }
    const was = editing.value
    visible.value = false
    const said = options.savedMessage
    if (said !== undefined) ElMessage.success(typeof said === 'string' ? said : said(saved))
    await options.onSaved?.(saved, was)
    return saved
  }

  return { visible, editing, form, saving, formRef, serverErrors, open, close, save }
}
