// Every form control has an accessible name (GB/T 37668, WCAG 4.1.2). Element Plus draws the
// form item's label next to the control but does not tie the two together unless each item
// names its input's id, and a search box in a toolbar often has only a placeholder. One rule,
// applied to whatever the console renders: a control without a name takes its form item's
// label, plus its placeholder when that says more (e.g. 开始日期 / 结束日期).

const CONTROLS = 'input:not([type=hidden]), textarea, select'

function hasName(el: HTMLElement): boolean {
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true
  const labels = (el as HTMLInputElement).labels
  return !!labels && Array.from(labels).some((l) => (l.textContent ?? '').trim() !== '')
}

export function labelControls(root: ParentNode = document): number {
  let named = 0
  root.querySelectorAll<HTMLElement>(CONTROLS).forEach((el) => {
    if (hasName(el)) return
    const item = el.closest('.el-form-item')
    const label = item?.querySelector('.el-form-item__label')?.textContent?.trim() ?? ''
    const select = el.closest('.el-select')
    const placeholder =
      el.getAttribute('placeholder')?.trim() ||
      select?.querySelector('.el-select__placeholder')?.textContent?.trim() ||
      ''
    if (!label && el.closest('.el-pagination')) {
      el.setAttribute('aria-label', '每页条数')
      named += 1
      return
    }
    const name = [label, placeholder && placeholder !== label ? placeholder : '']
      .filter(Boolean)
      .join('：')
    if (name) {
      el.setAttribute('aria-label', name)
      named += 1
    }
  })
  return named
}

export function keepControlsLabelled(root: HTMLElement = document.body): MutationObserver {
  let queued = false
  const run = () => {
    queued = false
    labelControls(root)
  }
  const observer = new MutationObserver(() => {
    if (!queued) {
      queued = true
      requestAnimationFrame(run)
    }
  })
  observer.observe(root, { childList: true, subtree: true })
  run()
  return observer
}
