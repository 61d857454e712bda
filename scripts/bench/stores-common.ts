/** What every store's part of bench:stores measures the same way: upserts and search latency. */
import { performance } from 'node:perf_hooks'
import type { FilterCondition, VectorRecord, VectorStore } from '../../src/stores/store.ts'
import { median } from './measure.ts'
import type { WeaviateRun } from './stores-weaviate.ts'

export const opts = { signal: new AbortController().signal }
export const BATCH = 200

export interface Latency {
  readonly p50: number
  readonly p95: number
}

/** Upserts every record, BATCH per call, one call after the other; returns vectors/s. */
export async function upsertAll(
  kind: string,
  store: VectorStore,
  name: string,
  data: VectorRecord[],
) {
  const start = performance.now()
  for (let i = 0; i < data.length; i += BATCH) {
    const { failed } = await store.upsert(name, data.slice(i, i + BATCH), opts)
    if (failed.length > 0) throw new Error(`${kind}: ${failed.length} records failed`)
  }
  return (data.length / (performance.now() - start)) * 1000
}

/** p50 and p95 of a k=10 search per probe, in ms. */
export async function latency(
  store: VectorStore,
  name: string,
  probes: readonly Float32Array[],
  filter?: FilterCondition[],
): Promise<Latency> {
  const times: number[] = []
  for (const vector of probes) {
    const start = performance.now()
    await store.search(name, { vector, k: 10, filter }, opts)
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => Math.round((times[Math.floor(q * (times.length - 1))] ?? 0) * 100) / 100
  return { p50: at(0.5), p95: at(0.95) }
}

export const filters: {
  readonly 'lang eq fr': readonly FilterCondition[]
  readonly 'n lt 1%': (rows: number) => FilterCondition[]
} = {
  'lang eq fr': [{ field: 'lang', op: 'eq', value: 'fr' }],
  'n lt 1%': (rows) => [{ field: 'n', op: 'lt', value: rows / 100 }],
}

/** The searches every store is timed on: unfiltered, an equality and a range filter. */
export async function searches(
  store: VectorStore,
  name: string,
  probes: readonly Float32Array[],
  rows: number,
): Promise<Record<string, Latency>> {
  return {
    'search k=10': await latency(store, name, probes),
    'lang eq fr': await latency(store, name, probes, [...filters['lang eq fr']]),
    'n lt 1%': await latency(store, name, probes, [...filters['n lt 1%'](rows)]),
  }
}

export function formatLatency(l: Latency): string {
  return `p50 ${l.p50.toFixed(2)} ms, p95 ${l.p95.toFixed(2)} ms`
}

export interface ModeSummary {
  readonly client: string
  readonly mode: string
  readonly runs: number
  readonly medianVectorsPerSecond: number
  readonly minVectorsPerSecond: number
  readonly maxVectorsPerSecond: number
  readonly medianServerCpuSeconds: number | undefined
  readonly medianClientCpuSeconds: number
  /** The server's CPU-seconds per second of the write: cores it kept busy (median). */
  readonly medianServerCores: number | undefined
  readonly load1: readonly number[]
}

/** Per mode: median and range of vectors/s, median server and client CPU-s, the loads seen. */
export function summarise(runs: readonly WeaviateRun[]): ModeSummary[] {
  const keys = [...new Set(runs.map((r) => `${r.client} ${r.mode}`))]
  return keys.map((key) => {
    const mine = runs.filter((r) => `${r.client} ${r.mode}` === key)
    const rates = mine.map((r) => r.vectorsPerSecond)
    const cpu = mine.flatMap((r) => (r.serverCpuSeconds === undefined ? [] : [r.serverCpuSeconds]))
    return {
      client: mine[0]!.client,
      mode: mine[0]!.mode,
      runs: mine.length,
      medianVectorsPerSecond: Math.round(median(rates)),
      minVectorsPerSecond: Math.round(Math.min(...rates)),
      maxVectorsPerSecond: Math.round(Math.max(...rates)),
      medianServerCpuSeconds: cpu.length === 0 ? undefined : Math.round(median(cpu) * 10) / 10,
      medianClientCpuSeconds: Math.round(median(mine.map((r) => r.clientCpuSeconds)) * 10) / 10,
      medianServerCores:
        cpu.length === 0
          ? undefined
          : Math.round(median(mine.map((r) => (r.serverCpuSeconds ?? 0) / r.seconds)) * 100) / 100,
      load1: mine.map((r) => r.load1),
    }
  })
}

/** Best vectorize median over best Python median: the figure issue 12 wants ≥ 0.9. */
export function ratio(summary: readonly ModeSummary[]): number | undefined {
  const best = (client: string) =>
    Math.max(0, ...summary.filter((s) => s.client === client).map((s) => s.medianVectorsPerSecond))
  const python = best('python')
  return python === 0 ? undefined : Math.round((best('vectorize') / python) * 100) / 100
}
