// ECharts, loaded on first use (a separate chunk), and the insights API shapes.
import { request, type QueryInit } from '@/api/client'
import { formatTime } from '@/utils/format'

export type Counts = Record<string, number>
export type Rates = Record<string, number | null>
export interface TrendPoint { period: string; counts: Counts; rates: Rates }
export interface BreakdownRow { key: string | number | null; name: string; counts: Counts; rates: Rates; parent_id?: number | null }
export interface Overview {
  counts: Counts
  rates: Rates
  lights: Record<string, number>
  date_from: string
  date_to: string
  /** When the rollup was last brought up to date (null: figures counted live). */
  rollup_refreshed_at?: string | null
  /** When the lights were counted (null: counted now). */
  lights_as_of?: string | null
}

/** 「数据更新于 11:02:03」 from the overview's freshness, or an empty string when live. */
export function freshness(ov: Overview): string {
  const at = ov.rollup_refreshed_at ?? ov.lights_as_of
  if (!at) return ''
  return `数据更新于 ${formatTime(at)}`
}
export interface AssessmentRow { key: number; name: string; score: number | null; rank: number; registered: number }
export interface Assessment { key: string; previous: string; ranking: AssessmentRow[]; bottom_two_running: AssessmentRow[] }

export const RATE_LABELS: Record<string, string> = {
  on_spot: '现场办结率',
  on_time: '按时办结率',
  response: '响应率',
  resolution: '解决率',
  satisfaction: '满意率',
  bad_review: '差评率',
  overdue: '超期率',
  transfer: '转办率',
  return: '退回率',
  reopen: '重办率',
}

export function get<T>(path: string, query?: QueryInit): Promise<T> {
  return request<T>('GET', `/api/v1/insights/${path}`, { query })
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`
}

type ECharts = { setOption: (o: unknown, notMerge?: boolean) => void; resize: () => void; dispose: () => void }

export async function draw(el: HTMLElement | null, option: unknown, dark = false): Promise<ECharts | null> {
  if (!el) return null
  const echarts = await import('echarts')
  const chart = (echarts.getInstanceByDom(el) ?? echarts.init(el, dark ? 'dark' : undefined)) as unknown as ECharts
  chart.setOption(option, true)
  return chart
}

export function disposeAll(els: (HTMLElement | null)[]): void {
  void import('echarts').then((echarts) => {
    for (const el of els) if (el) echarts.getInstanceByDom(el)?.dispose()
  })
}

const COUNT_NAMES: Record<string, string> = { registered: '登记', resolved: '办结', overdue: '超期' }

/** The trend's lines of the named counts (登记, 办结, 超期), for `lineOption`. */
export function countLines(...codes: string[]): { name: string; value: (p: TrendPoint) => number }[] {
  return codes.map((code) => ({ name: COUNT_NAMES[code] ?? code, value: (p: TrendPoint) => p.counts[code] ?? 0 }))
}

/** The 红黄绿灯 pie's slices, in their colours. */
export function lightSlices(lights: Record<string, number>): { name: string; value: number; color: string }[] {
  return [
    { name: '绿灯', value: lights.green ?? 0, color: '#67c23a' },
    { name: '黄灯', value: lights.yellow ?? 0, color: '#e6a23c' },
    { name: '红灯', value: lights.red ?? 0, color: '#f56c6c' },
  ]
}

/** Each row's name and the cases registered, for `barOption` and `pieOption`. */
export function registered(rows: BreakdownRow[]): { name: string; value: number }[] {
  return rows.map((r) => ({ name: r.name, value: r.counts.registered ?? 0 }))
}

export function lineOption(points: TrendPoint[], series: { name: string; value: (p: TrendPoint) => number | null }[], percent = false): unknown {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 32, bottom: 28 },
    xAxis: { type: 'category', data: points.map((p) => p.period) },
    yAxis: percent ? { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } } : { type: 'value', minInterval: 1 },
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      smooth: true,
      data: points.map((p) => {
        const v = s.value(p)
        return v === null ? null : percent ? +(v * 100).toFixed(1) : v
      }),
    })),
  }
}

export function barOption(rows: { name: string; value: number }[], horizontal = true): unknown {
  const names = rows.map((r) => r.name)
  const values = rows.map((r) => r.value)
  return {
    tooltip: {},
    grid: { left: horizontal ? 140 : 40, right: 24, top: 16, bottom: 28 },
    xAxis: horizontal ? { type: 'value', minInterval: 1 } : { type: 'category', data: names },
    yAxis: horizontal ? { type: 'category', data: names.slice().reverse() } : { type: 'value' },
    series: [{ type: 'bar', data: horizontal ? values.slice().reverse() : values, itemStyle: { color: '#409eff' } }],
  }
}

export function pieOption(rows: { name: string; value: number; color?: string }[]): unknown {
  return {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [{ type: 'pie', radius: ['40%', '70%'], data: rows.map((r) => ({ name: r.name, value: r.value, itemStyle: r.color ? { color: r.color } : undefined })) }],
  }
}
