/** The compact table the benchmark prints. */
import { rates, type Row } from './measure.ts'

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export function n(value: number): string {
  return int.format(value)
}

/** 1,234 / 12.3k / 1.23M: rates whose digits past the third are noise anyway. */
export function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  if (value < 10) return value.toFixed(1)
  return int.format(value)
}

/**
 * Columns padded to their widest cell, two spaces apart: the first `leftColumns` aligned left, the
 * rest right; a rule of dashes under the header unless `rule` is false.
 */
export function alignedTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  { leftColumns = 0, rule = true }: { leftColumns?: number; rule?: boolean } = {},
): string {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((l) => l[c]!.length)))
  const line = (l: readonly string[]) =>
    l
      .map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
  const dashes = rule ? [widths.map((w) => '-'.repeat(w)).join('  ')] : []
  return [line(header), ...dashes, ...rows.map(line)].join('\n')
}

export function table(rows: readonly Row[], ceilingOf: (row: Row) => number | undefined): string {
  const header = [
    'workload',
    'measure',
    'texts',
    'tokens',
    'median s',
    'texts/s',
    'tokens/s',
    'best tok/s',
    '× ceiling',
    'cores',
    'passes',
  ]
  const lines = rows.map((row) => {
    const r = rates(row)
    const ceiling = ceilingOf(row)
    return [
      row.workload,
      row.name,
      n(row.texts),
      n(row.tokens),
      (r.ms / 1000).toFixed(2),
      compact(r.textsPerSec),
      compact(r.tokensPerSec),
      compact(r.bestTokensPerSec),
      ceiling ? (r.tokensPerSec / ceiling).toFixed(2) : '',
      r.cores.toFixed(2),
      String(row.passesMs.length),
    ]
  })
  return alignedTable(header, lines, { leftColumns: 2 })
}
