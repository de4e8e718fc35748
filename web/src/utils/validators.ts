// Client-side checks of Chinese identifiers, as a convenience while typing: the server
// (core/validators.py) remains the judge. Same rules: mainland mobile or landline
// numbers, GB 11643 ID-card numbers, GB 32100 unified social credit codes.

const MOBILE = /^1[3-9]\d{9}$/
const LANDLINE = /^0\d{2,3}\d{7,8}$/

export function normalizePhone(raw: string): string | null {
  let s = (raw ?? '').replace(/[\s\-()（）]/g, '')
  if (s.startsWith('+86')) s = s.slice(3)
  else if (s.startsWith('0086')) s = s.slice(4)
  else if (s.startsWith('86') && s.length === 13) s = s.slice(2)
  return MOBILE.test(s) || LANDLINE.test(s) ? s : null
}

export function isMainlandPhone(raw: string): boolean {
  return normalizePhone(raw) !== null
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK = '10X98765432'

export function idCheckChar(first17: string): string {
  let total = 0
  for (let i = 0; i < 17; i++) total += Number(first17[i]) * ID_WEIGHTS[i]
  return ID_CHECK[total % 11]
}

export function isIdNumber(raw: string): boolean {
  const s = (raw ?? '').trim().toUpperCase()
  if (s.length !== 18 || !/^\d{17}[\dX]$/.test(s)) return false
  const y = Number(s.slice(6, 10))
  const m = Number(s.slice(10, 12))
  const d = Number(s.slice(12, 14))
  const date = new Date(Date.UTC(y, m - 1, d))
  if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return false
  }
  return idCheckChar(s.slice(0, 17)) === s[17]
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
const USCC_FORM = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/

export function creditCodeCheckChar(first17: string): string {
  let total = 0
  for (let i = 0; i < 17; i++) total += USCC_CHARS.indexOf(first17[i]) * USCC_WEIGHTS[i]
  return USCC_CHARS[(31 - (total % 31)) % 31]
}

export function isCreditCode(raw: string): boolean {
  const s = (raw ?? '').trim().toUpperCase()
  if (!USCC_FORM.test(s)) return false
  return creditCodeCheckChar(s.slice(0, 17)) === s[17]
}

// Element Plus form rules (async-validator style callbacks).
type Callback = (error?: Error) => void
type Rule = { validator: (rule: unknown, value: string, cb: Callback) => void; trigger: string }

function rule(check: (v: string) => boolean, message: string, optional: boolean): Rule {
  return {
    trigger: 'blur',
    validator: (_rule, value, cb) => {
      if (!value || !String(value).trim()) return optional ? cb() : cb(new Error(message))
      return check(String(value)) ? cb() : cb(new Error(message))
    },
  }
}

export const phoneRule = (optional = false) =>
  rule(isMainlandPhone, '请输入有效的大陆手机号或固定电话（固话含区号）', optional)
export const idNumberRule = (optional = true) =>
  rule(isIdNumber, '身份证号码不正确（18位，末位校验码可为X）', optional)
export const creditCodeRule = (optional = true) =>
  rule(isCreditCode, '统一社会信用代码不正确（18位，含校验位）', optional)
