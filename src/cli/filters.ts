/** `--filter` expressions: `field=value`, `field!=value`, `field>=3`, `field<0.5` … ANDed. */
import type { FilterCondition, FilterOp } from '../stores/store.ts'
import { VectorizeError } from '../worker/errors.ts'

const pattern = /^([A-Za-z_][A-Za-z0-9_]*)\s*(!=|>=|<=|=|>|<)\s*(.*)$/s
const ops: Record<string, FilterOp> = {
  '=': 'eq',
  '!=': 'ne',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
}

export function parseFilter(expression: string): FilterCondition {
  const match = pattern.exec(expression.trim())
  if (!match) {
    throw new VectorizeError(
      'invalid_task',
      `--filter ${JSON.stringify(expression)}: expected field=value, field!=value, field>n, field>=n, field<n or field<=n`,
    )
  }
  const [, field, symbol, raw] = match as unknown as [string, string, string, string]
  const op = ops[symbol]!
  const value = typed(raw.trim())
  if (op !== 'eq' && op !== 'ne' && typeof value !== 'number') {
    throw new VectorizeError(
      'invalid_task',
      `--filter ${JSON.stringify(expression)}: ${symbol} needs a number`,
    )
  }
  return { field, op, value }
}

/** Numbers and booleans are typed; quotes force a string (`id="007"`). */
function typed(raw: string): string | number | boolean {
  if (/^".*"$/s.test(raw) || /^'.*'$/s.test(raw)) return raw.slice(1, -1)
  if (raw === 'true' || raw === 'false') return raw === 'true'
  if (raw !== '' && Number.isFinite(Number(raw))) return Number(raw)
  return raw
}
