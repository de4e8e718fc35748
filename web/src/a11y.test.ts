import { describe, expect, it } from 'vitest'
import { labelControls } from './a11y'

describe('labelControls', () => {
  it('names a control after its form item label and placeholder, and leaves named ones alone', () => {
    document.body.innerHTML = `
      <div class="el-form-item"><label class="el-form-item__label">登记日期</label>
        <input placeholder="开始日期"><input placeholder="结束日期"></div>
      <div class="el-form-item"><label class="el-form-item__label">状态</label><input></div>
      <input placeholder="搜索编号">
      <input aria-label="已有名称" placeholder="x">
      <label for="k">关键字</label><input id="k">
      <input>`
    expect(labelControls()).toBe(4)
    const names = Array.from(document.querySelectorAll('input')).map((i) => i.getAttribute('aria-label'))
    expect(names).toEqual(['登记日期：开始日期', '登记日期：结束日期', '状态', '搜索编号', '已有名称', null, null])
  })
})
