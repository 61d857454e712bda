/**
 * A reader of the Prometheus text exposition format (0.0.4), enough for what the workers' /metrics
 * serves: sample lines `name{label="value",…} value [timestamp]`, comments skipped. Label values
 * unescape `\\`, `\"` and `\n`. A line it cannot read is skipped, never fatal: a scrape shows what
 * it can.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*/

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const sample = parseLine(line)
    if (sample) samples.push(sample)
  }
  return samples
}

function parseLine(line: string): Sample | undefined {
  const name = namePattern.exec(line)?.[0]
  if (!name) return undefined
  let rest = line.slice(name.length)
  let labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest)
    if (!parsed) return undefined
    labels = parsed.labels
    rest = rest.slice(parsed.length)
  }
  const value = parseValue(rest.trim().split(/\s+/)[0] ?? '')
  return value === undefined ? undefined : { name, labels, value }
}

/** `{a="1",b="x\"y"}` at the start of `text`: the labels and how many characters they took. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | undefined {
  const labels: Record<string, string> = {}
  let i = 1
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++
    if (text[i] === '}') return { labels, length: i + 1 }
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0]
    if (!name || text[i + name.length] !== '=' || text[i + name.length + 1] !== '"')
      return undefined
    i += name.length + 2
    let value = ''
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] !== '\\') value += text[i]
      else {
        const next = text[++i]
        value += next === 'n' ? '\n' : (next ?? '')
      }
    }
    if (text[i] !== '"') return undefined
    labels[name] = value
    i++
  }
}

/** As Go's ParseFloat reads it (Prometheus does): `NaN`, `Inf` in any case (prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  const word = text.toLowerCase()
  if (word === '+inf' || word === 'inf') return Infinity
  if (word === '-inf') return -Infinity
  if (word === 'nan') return NaN
  if (text === '') return undefined
  const value = Number(text)
  return Number.isNaN(value) ? undefined : value
}
