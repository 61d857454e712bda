/**
 * The worker's HTTP endpoints (SPEC §4.5): `/health` (liveness: the process answers and the
 * watchdog is content), `/ready` (readiness: every required check passes; optional ones, such as
 * Redis, are shown but never hold it back) and `/metrics` (Prometheus text format).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { Logger } from './logger.ts'
import type { Verdict } from './watchdog.ts'

export interface ReadinessCheck {
  readonly name: string
  /** A failing required check makes /ready answer 503; an optional one is only reported. */
  readonly required: boolean
  /** Resolves when ready (optionally with details to show); rejects with the reason when not. */
  check(opts: Signal): Promise<unknown>
}

export interface CheckResult {
  readonly ok: boolean
  readonly required: boolean
  readonly detail?: unknown
  readonly error?: string
}

/** Named readiness checks; other parts (the Redis heartbeat) add theirs with `add`. */
export class Readiness {
  readonly #checks: ReadinessCheck[] = []
  readonly #timeoutMs: number

  constructor(timeoutMs = 2_000) {
    this.#timeoutMs = timeoutMs
  }

  add(check: ReadinessCheck): void {
    this.#checks.push(check)
  }

  async run(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const results = await Promise.all(
      this.#checks.map(async (c): Promise<[string, CheckResult]> => {
        try {
          const detail = await c.check({ signal: AbortSignal.timeout(this.#timeoutMs) })
          return [
            c.name,
            { ok: true, required: c.required, ...(detail !== undefined && { detail }) },
          ]
        } catch (err) {
          return [c.name, { ok: false, required: c.required, error: messageOf(err) }]
        }
      }),
    )
    const ready = results.every(([, r]) => r.ok || !r.required)
    return { ready, checks: Object.fromEntries(results) }
  }
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
