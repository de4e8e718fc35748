import { describe, expect, it } from 'vitest'
import { creditCodeCheckChar, idCheckChar, isCreditCode, isIdNumber, isMainlandPhone, normalizePhone } from './validators'
import { passwordProblem } from './password'
import { buildDepartmentTree, subtreeIds } from './tree'

describe('phone numbers', () => {
  it.each([
    ['138 1234 5678', '13812345678'],
    ['+86 139-0000-1111', '13900001111'],
    ['008613900001111', '13900001111'],
    ['8613900001111', '13900001111'],
    ['(0979) 8412345', '09798412345'],
    ['010-12345678', '01012345678'],
  ])('accepts mainland mobiles and landlines in common spellings: %j is %s', (raw, phone) => {
    expect(normalizePhone(raw)).toBe(phone)
  })

  it.each(['12812345678', '1381234567', '138123456789', '12345', '+852 91234567', '', 'abc'])(
    'refuses what is not a mainland number: %j',
    (bad) => {
      expect(isMainlandPhone(bad)).toBe(false)
    },
  )
})

describe('ID-card numbers (GB 11643)', () => {
  const completed = (first17: string) => first17 + idCheckChar(first17)
  it.each([
    ['11010519491231002X', true],
    ['11010519491231002x', true],
    ['110105194912310021', false], // the wrong check character
    [completed('63280119900307123'), true],
    [completed('63280119900230123'), false], // 30 February
    ['11010519491231002', false], // one character short
    ['', false],
  ])('checks the check character, the birth date and the length: %j is %s', (id, valid) => {
    expect(isIdNumber(id)).toBe(valid)
  })
})

describe('unified social credit codes (GB 32100)', () => {
  const completed = (first17: string) => first17 + creditCodeCheckChar(first17)
  it.each([
    ['91350100M000100Y43', true],
    ['91350100m000100y43', true],
    ['91350100M000100Y44', false], // the wrong check character
    [completed('91640100MA7ABCDE1'), true],
    ['91350100I000100Y43', false], // I is a letter the standard does not use
    ['123', false],
  ])('checks the check character and the form: %j is %s', (code, valid) => {
    expect(isCreditCode(code)).toBe(valid)
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
