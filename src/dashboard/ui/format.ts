/** Numbers, sizes and durations as people read them. */

export function count(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–'
  return Math.round(n).toLocaleString('en-US')
}

export function rate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–'
  if (n === 0) return '0'
  if (n < 10) return n.toFixed(2)
  if (n < 100) return n.toFixed(1)
  return Math.round(n).toLocaleString('en-US')
}

export function seconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–'
  if (s < 1) return `${Math.round(s * 1000)} ms`
  if (s < 60) return `${s.toFixed(1)} s`
  return duration(s)
}

export function duration(s: number): string {
  if (s < 60) return `${Math.floor(s)}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`
  const h = Math.floor(s / 3600)
  if (h < 48) return `${h}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

/** Local time as `2026-12-06 15:02:24`: unambiguous in every locale. */
export function time(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const p = (n: number) => String(n).padStart(2, '0')
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

export function percent(part: number, whole: number): string {
  if (whole <= 0) return '–'
  return `${((100 * part) / whole).toFixed(part / whole < 0.01 && part > 0 ? 2 : 1)}%`
}
