// Coordinates on the console's map: the same GCJ-02 transform as the server
// (bancheng/core/geo.py), and Web Mercator tile maths.

const A = 6378245.0
const EE = 0.00669342162296594323

function outOfChina(lat: number, lng: number): boolean {
  return !(lng > 73.66 && lng < 135.05 && lat > 3.86 && lat < 53.55)
}

function dLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3
  return r
}

function dLng(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3
  return r
}

export function wgs84ToGcj02(lat: number, lng: number): [number, number] {
  if (outOfChina(lat, lng)) return [lat, lng]
  let la = dLat(lng - 105, lat - 35)
  let ln = dLng(lng - 105, lat - 35)
  const rad = (lat / 180) * Math.PI
  const magic = 1 - EE * Math.sin(rad) ** 2
  const sq = Math.sqrt(magic)
  la = (la * 180) / (((A * (1 - EE)) / (magic * sq)) * Math.PI)
  ln = (ln * 180) / ((A / sq) * Math.cos(rad) * Math.PI)
  return [lat + la, lng + ln]
}

/** Web Mercator: a point's position in pixels at zoom `z` (256-pixel tiles). */
export function project(lat: number, lng: number, z: number): [number, number] {
  const scale = 256 * 2 ** z
  const s = Math.sin((lat * Math.PI) / 180)
  const x = ((lng + 180) / 360) * scale
  const y = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * scale
  return [x, y]
}

/** The highest zoom (≤ 17) at which every point fits in `width` × `height` pixels. */
export function fitZoom(points: [number, number][], width: number, height: number): number {
  for (let z = 17; z > 1; z--) {
    const px = points.map(([la, ln]) => project(la, ln, z))
    const w = Math.max(...px.map((p) => p[0])) - Math.min(...px.map((p) => p[0]))
    const h = Math.max(...px.map((p) => p[1])) - Math.min(...px.map((p) => p[1]))
    if (w <= width * 0.8 && h <= height * 0.8) return z
  }
  return 2
}

export function tileUrl(template: string, z: number, x: number, y: number): string {
  return template
    .replace('{s}', 'abc'[(x + y) % 3])
    .replace('{z}', String(z))
    .replace('{x}', String(x))
    .replace('{y}', String(y))
}

/** `min_lng,min_lat,max_lng,max_lat` of the points (for the ledger's area filter). */
export function bboxAround(lat: number, lng: number, radiusM: number): string {
  const dLatDeg = (radiusM / 6371008.8) * (180 / Math.PI)
  const dLngDeg = dLatDeg / Math.max(0.01, Math.cos((lat * Math.PI) / 180))
  const f = (n: number) => n.toFixed(6)
  return [f(lng - dLngDeg), f(lat - dLatDeg), f(lng + dLngDeg), f(lat + dLatDeg)].join(',')
}
