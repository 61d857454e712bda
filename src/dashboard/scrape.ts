/** One scrape of a worker's /metrics: bounded in time and size, never throwing. */
import { parseMetrics } from './prometheus-text.ts'
import { scrapedMetrics, type ScrapedMetrics } from './worker-metrics.ts'

export type Scrape =
  | { readonly ok: true; readonly metrics: ScrapedMetrics; readonly ms: number }
  | { readonly ok: false; readonly error: string }

/** A worker's /metrics is tens of kilobytes; more than this is not one. */
const maxBytes = 4 * 1024 * 1024

export async function scrape(baseUrl: string, timeoutMs: number): Promise<Scrape> {
  const started = performance.now()
  try {
    const response = await fetch(`${baseUrl}/metrics`, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` }
    const length = Number(response.headers.get('content-length') ?? 0)
    if (length > maxBytes) return { ok: false, error: `answer of ${length} bytes` }
    const text = await response.text()
    if (text.length > maxBytes) return { ok: false, error: `answer of ${text.length} bytes` }
    const metrics = scrapedMetrics(parseMetrics(text))
    return { ok: true, metrics, ms: performance.now() - started }
  } catch (err) {
    const name = (err as Error).name
    const timedOut = name === 'TimeoutError' || name === 'AbortError'
    return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : reason(err) }
  }
}

function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err as Error).message
}
