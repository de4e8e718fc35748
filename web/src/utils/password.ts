/** The server's password policy (org/auth.py), checked early for a friendlier form:
 *  at least `minLength` characters from three of four classes, not containing the user
 *  name. Returns the problem in Chinese, or null. The server still decides. */
export function passwordProblem(password: string, username: string, minLength = 10): string | null {
  if (!password) return '请输入新密码'
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length
  if (password.length < minLength || classes < 3) {
    return `密码至少${minLength}位，并包含大写字母、小写字母、数字、符号中的三类`
  }
  if (username && password.toLowerCase().includes(username.toLowerCase())) return '密码不能包含用户名'
  return null
}
