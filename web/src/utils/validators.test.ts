import { describe, expect, it } from 'vitest'
import { creditCodeCheckChar, idCheckChar, isCreditCode, isIdNumber, isMainlandPhone, normalizePhone } from './validators'
import { passwordProblem } from './password'
import { buildDepartmentTree, subtreeIds } from './tree'

describe('phone numbers', () => {
  it('accepts mainland mobiles and landlines in common spellings', () => {
    expect(normalizePhone('138 1234 5678')).toBe('13812345678')
    expect(normalizePhone('+86 139-0000-1111')).toBe('13900001111')
    expect(normalizePhone('008613900001111')).toBe('13900001111')
    expect(normalizePhone('8613900001111')).toBe('13900001111')
    expect(normalizePhone('(0979) 8412345')).toBe('09798412345')
    expect(normalizePhone('010-12345678')).toBe('01012345678')
  })

  it('refuses what is not a mainland number', () => {
    for (const bad of ['12812345678', '1381234567', '138123456789', '12345', '+852 91234567', '', 'abc']) {
      expect(isMainlandPhone(bad)).toBe(false)
    }
  })
})

describe('ID-card numbers (GB 11643)', () => {
  it('checks the check character', () => {
    expect(isIdNumber('11010519491231002X')).toBe(true)
    expect(isIdNumber('11010519491231002x')).toBe(true)
    expect(isIdNumber('110105194912310021')).toBe(false)
    const first17 = '63280119900307123'
    expect(isIdNumber(first17 + idCheckChar(first17))).toBe(true)
  })

  it('checks the birth date and length', () => {
    const bad = '63280119900230123' // 30 February
    expect(isIdNumber(bad + idCheckChar(bad))).toBe(false)
    expect(isIdNumber('11010519491231002')).toBe(false)
    expect(isIdNumber('')).toBe(false)
  })
})

describe('unified social credit codes (GB 32100)', () => {
  it('checks the check character', () => {
    expect(isCreditCode('91350100M000100Y43')).toBe(true)
    expect(isCreditCode('91350100m000100y43')).toBe(true)
    expect(isCreditCode('91350100M000100Y44')).toBe(false)
    const first17 = '91640100MA7ABCDE1'
    expect(isCreditCode(first17 + creditCodeCheckChar(first17))).toBe(true)
  })

  it('refuses letters the standard does not use', () => {
    expect(isCreditCode('91350100I000100Y43')).toBe(false)
    expect(isCreditCode('123')).toBe(false)
  })
})

describe('password policy', () => {
  it('mirrors the server policy', () => {
    expect(passwordProblem('Short1!', 'clerk')).toContain('至少10位')
    expect(passwordProblem('alllowercase1', 'clerk')).toContain('三类')
    expect(passwordProblem('MyClerk-Pass1', 'clerk')).toBe('密码不能包含用户名')
    expect(passwordProblem('Golmud-2026-ok', 'clerk')).toBeNull()
  })
})

describe('department tree', () => {
  const d = (id: number, parent: number | null, path: string, active = true) => ({
    id, code: `D${id}`, name: `单位${id}`, short_name: null, level: 'city', kind: 'agency', parent_id: parent, path, active,
  })
  const depts = [d(1, null, '/1/'), d(2, 1, '/1/2/'), d(3, 2, '/1/2/3/'), d(4, 1, '/1/4/', false), d(5, 99, '/99/5/')]

  it('nests by parent and skips inactive units', () => {
    const tree = buildDepartmentTree(depts)
    expect(tree.map((n) => n.value)).toEqual([1, 5])
    expect(tree[0].children?.map((n) => n.value)).toEqual([2])
    expect(tree[0].children?.[0].children?.map((n) => n.value)).toEqual([3])
    expect(buildDepartmentTree(depts, { includeInactive: true })[0].children?.map((n) => n.value)).toEqual([2, 4])
  })

  it('finds a subtree by path', () => {
    expect(subtreeIds(depts, 2)).toEqual([2, 3])
    expect(subtreeIds(depts, 42)).toEqual([])
  })
})
