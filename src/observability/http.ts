/**
 * The worker's HTTP endpoints (SPEC §4.5): `/health` (liveness: the process answers and the
 * watchdog is content), `/ready` (readiness: every required check passes; optional ones, such as
 * Redis, are shown but never hold it back) and `/metrics` (Prometheus text format). None of them
 * waits on a broker, Redis or a store: what needs I/O is probed in the background (probes.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { Logger } from './logger.ts'
import type { CachedProbe } from './probes.ts'
import type { Verdict } from './watchdog.ts'

export interface ReadinessCheck {
  readonly name: string
  /** A failing required check makes /ready answer 503; an optional one is only reported. */
  readonly required: boolean
  /**
   * Resolves when ready (optionally with details to show); rejects with the reason when not.
   * Runs on every request, so it must answer at once from state in memory: a check that does I/O
   * is a CachedProbe (probes.ts), added with `addProbe`.
   */
  check(opts: Signal): Promise<unknown>
}

export interface CheckResult {
  readonly ok: boolean
  readonly required: boolean
  readonly detail?: unknown
  readonly error?: string
  /** How old a probed result is (ms); absent for checks run on the request. */
  readonly age_ms?: number
}

interface ProbedCheck {
  readonly name: string
  readonly required: boolean
  readonly probe: Pick<CachedProbe<unknown>, 'read'>
}

/**
 * Named readiness checks; other parts (the Redis heartbeat) add theirs with `add`. `run` never
 * waits on I/O: probed checks answer with their latest background result, and a check run on the
 * request that does not answer within `timeoutMs` fails.
 */
export class Readiness {
  readonly #checks: ReadinessCheck[] = []
  readonly #probed: ProbedCheck[] = []
  readonly #timeoutMs: number

  constructor(timeoutMs = 250) {
    this.#timeoutMs = timeoutMs
  }

  add(check: ReadinessCheck): void {
    this.#checks.push(check)
  }

  /** A check whose result comes from a probe running in the background. */
  addProbe(name: string, required: boolean, probe: ProbedCheck['probe']): void {
    this.#probed.push({ name, required, probe })
  }

  async run(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const live = await Promise.all(this.#checks.map((c) => this.#runLive(c)))
    const probed = this.#probed.map(({ name, required, probe }): [string, CheckResult] => {
      const { ok, value, error, ageMs } = probe.read()
      return [
        name,
        {
          ok,
          required,
          ...(ok && value !== undefined && { detail: value }),
          ...(!ok && { error: error ?? 'failing' }),
          ...(ageMs !== undefined && { age_ms: ageMs }),
        },
      ]
    })
    const results = [...live, ...probed]
    const ready = results.every(([, r]) => r.ok || !r.required)
    return { ready, checks: Object.fromEntries(results) }
  }

  async #runLive(c: ReadinessCheck): Promise<[string, CheckResult]> {
    const signal = AbortSignal.timeout(this.#timeoutMs)
    try {
      const detail = await Promise.race([c.check({ signal }), rejectOnAbort(signal)])
      return [c.name, { ok: true, required: c.required, ...(detail !== undefined && { detail }) }]
    } catch (err) {
      return [c.name, { ok: false, required: c.required, error: messageOf(err) }]
    }
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error('no answer in time')), { once: true }),
  )
}

export interface HttpOptions {
  readonly host: string
  /** 0 = any free port (the bound one is logged and available as `url`). */
  readonly port: number
}

export interface HttpDeps {
  readonly logger: Logger
  readonly metrics: { readonly contentType: string; render(): Promise<string> }
  readonly health: () => Verdict
  readonly readiness: Readiness
}

export class HttpServer {
  readonly #server: Server
  readonly #url: string
  #closed: Promise<void> | undefined

  static async create(options: HttpOptions, deps: HttpDeps): Promise<HttpServer> {
    const server = createServer((req, res) => void route(req, res, deps))
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(listenError(options, err))
      server.once('error', fail)
      server.listen(options.port, options.host, () => {
        server.off('error', fail)
        resolve()
      })
    })
    const { address, port } = server.address() as AddressInfo
    const host = address.includes(':') ? `[${address}]` : address
    const url = `http://${host}:${port}`
    deps.logger.info({ url, host: address, port }, `http listening on ${url}`)
    return new HttpServer(server, url)
  }

  private constructor(server: Server, url: string) {
    this.#server = server
    this.#url = url
  }

  /** Where it listens, e.g. `http://127.0.0.1:9464`. */
  get url(): string {
    return this.#url
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections() // keep-alive scrapers would hold close() open
    })
    return this.#closed
  }
}

/**
 * The URL others reach this server at: `http.advertise_url` when set, else the bound address,
 * with the machine's host name in place of a wildcard (0.0.0.0, ::) that no one can connect to.
 */
export function advertisedUrl(advertise: string, bound: string): string {
  if (advertise !== '') return advertise.replace(/\/+$/, '')
  const url = new URL(bound)
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = hostname()
  return url.origin
}

async function route(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { error: 'only GET and HEAD' }, { allow: 'GET, HEAD' })
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path === '/metrics') {
      const body = await deps.metrics.render()
      res.writeHead(200, { 'content-type': deps.metrics.contentType })
      return void res.end(req.method === 'HEAD' ? undefined : body)
    }
    if (path === '/health') {
      const verdict = deps.health()
      return send(res, verdict.ok ? 200 : 503, {
        status: verdict.ok ? 'ok' : 'failing',
        ...verdict,
      })
    }
    if (path === '/ready') {
      const { ready, checks } = await deps.readiness.run()
      return send(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks })
    }
    send(res, 404, { error: `no such endpoint: ${path}; try /health, /ready, /metrics` })
  } catch (err) {
    deps.logger.warn({ err: messageOf(err), url: req.url }, 'http request failed')
    if (!res.headersSent) send(res, 500, { error: messageOf(err) })
    else res.destroy()
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(`${JSON.stringify(body)}\n`)
}

function listenError(options: HttpOptions, err: Error): VectorizeError {
  const where = `${options.host}:${options.port}`
  return new VectorizeError(
    'config_invalid',
    `cannot serve HTTP on ${where} (http.host, http.port; http.enabled: false turns it off): ${err.message}`,
    { cause: err },
  )
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
