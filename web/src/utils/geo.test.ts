import { describe, expect, it } from 'vitest'
import { bboxAround, fitZoom, project, tileUrl, wgs84ToGcj02 } from './geo'

describe('geo', () => {
  it('shifts mainland points a few hundred metres and leaves others', () => {
    const [la, ln] = wgs84ToGcj02(39.9087, 116.3975)
    expect(la - 39.9087).toBeGreaterThan(0.001)
    expect(la - 39.9087).toBeLessThan(0.002)
    expect(ln - 116.3975).toBeGreaterThan(0.005)
    expect(ln - 116.3975).toBeLessThan(0.007)
    expect(wgs84ToGcj02(51.5, -0.12)).toEqual([51.5, -0.12])
  })

  it('projects to Web Mercator tiles', () => {
    expect(project(0, 0, 0)).toEqual([128, 128])
    const [x] = project(0, 180, 1)
    expect(x).toBe(512)
    expect(tileUrl('https://t/{z}/{x}/{y}.png', 3, 6, 2)).toBe('https://t/3/6/2.png')
    expect(tileUrl('https://{s}.t/{z}/{x}/{y}.png', 3, 6, 2)).toBe('https://c.t/3/6/2.png')
  })

  it('fits points and builds an area filter', () => {
    expect(fitZoom([[39.9, 116.4], [39.91, 116.41]], 640, 400)).toBe(15)
    expect(bboxAround(0, 0, 111195.1)).toBe('-1.000000,-1.000000,1.000000,1.000000')
  })
})
