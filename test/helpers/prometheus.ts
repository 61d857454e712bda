/**
 * Scrapes /metrics and parses it with the Prometheus project's own Python client
 * (`prometheus_client.parser`, PyPI prometheus-client 0.26.0): a real, maintained parser of the
 * text format. (The one npm parser, parse-prometheus-text-format 1.1.1, drops the labels of
 * labelled histograms.) Python is taken from VECTORIZE_TEST_PYTHON, else `python3`.
 */
import { spawnSync } from 'node:child_process'

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const PYTHON = process.env.VECTORIZE_TEST_PYTHON ?? 'python3'
const SCRIPT = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        v = s.value if math.isfinite(s.value) else str(s.value)
        out.append({"name": s.name, "labels": s.labels, "value": v})
print(json.dumps(out))
`

/** Why the parser cannot run here, or undefined when it can. */
export function parserMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { encoding: 'utf8' })
  if (probe.status === 0) return undefined
  return `the Prometheus parser is missing: ${PYTHON} -m pip install prometheus-client==0.26.0 (or set VECTORIZE_TEST_PYTHON) — ${probe.error?.message ?? probe.stderr.trim()}`
}

export function parseExposition(text: string): Sample[] {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], { input: text, encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`prometheus_client refused the exposition: ${run.stderr}`)
  const parsed = JSON.parse(run.stdout) as {
    name: string
    labels: Record<string, string>
    value: number | string
  }[]
  return parsed.map((s) => ({ ...s, value: Number(s.value) }))
}

export interface Scrape {
  readonly contentType: string
  readonly samples: readonly Sample[]
  /** The sample named `name` whose labels include `labels`; 0 when there is none (a counter not yet moved). */
  value(name: string, labels?: Readonly<Record<string, string>>): number
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`)
  const samples = parseExposition(await res.text())
  return {
    contentType: res.headers.get('content-type') ?? '',
    samples,
    value: (name, labels = {}) => {
      const matches = samples.filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )
      if (matches.length > 1)
        throw new Error(`${name} ${JSON.stringify(labels)} matches ${matches.length} samples`)
      return matches[0]?.value ?? 0
    },
  }
}
