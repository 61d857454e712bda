/**
 * DashboardServer: `vectorize dashboard`'s HTTP server. The page shell, the bundled front end
 * (built by `npm run build` into dist/dashboard-ui, served from the package: no CDN), the JSON API
 * (api.ts) and one server-sent-events stream of snapshots. Every request passes the Guard first;
 * actions pass it a second time. Responses forbid framing and sniffing and are never cached.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import { toVectorizeError, VectorizeError } from '../worker/errors.ts'
import type { ApiParts } from './api.ts'
import { act, listLetters, oneLetter, selectionOf, task } from './api.ts'
import type { Boot } from './api-types.ts'
import { page } from './page.ts'
import { checkStart, Guard, type SecuritySettings } from './security.ts'

export interface DashboardOptions extends SecuritySettings {
  readonly port: number
  /** Where the built front end is (index.js, index.css). */
  readonly assets: string
  readonly boot: Omit<Boot, 'allowActions'>
}

const assetTypes: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css.map': 'application/json; charset=utf-8',
}

const maxBody = 64 * 1024

export class DashboardServer {
  readonly #server: Server
  readonly url: string
  readonly #streams: Set<ServerResponse>
  #closed: Promise<void> | undefined

  static async create(
    options: DashboardOptions,
    parts: ApiParts,
    logger: Logger,
  ): Promise<DashboardServer> {
    checkStart(options)
    const guard = new Guard(options)
    const streams = new Set<ServerResponse>()
    const handler = new Handler(options, parts, guard, logger, streams)
    const server = createServer((req, res) => void handler.handle(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenError(options, err)))
      server.listen(options.port, options.host, () => resolve())
    })
    const { address, port } = server.address() as AddressInfo
    guard.bound(port)
    const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
    logger.info({ url, allow_actions: options.allow_actions }, `dashboard on ${url}`)
    return new DashboardServer(server, url, streams)
  }

  private constructor(server: Server, url: string, streams: Set<ServerResponse>) {
    this.#server = server
    this.url = url
    this.#streams = streams
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      for (const stream of this.#streams) stream.end()
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
    return this.#closed
  }
}

class Handler {
  readonly options: DashboardOptions
  readonly parts: ApiParts
  readonly guard: Guard
  readonly logger: Logger
  readonly streams: Set<ServerResponse>

  constructor(
    options: DashboardOptions,
    parts: ApiParts,
    guard: Guard,
    logger: Logger,
    streams: Set<ServerResponse>,
  ) {
    this.options = options
    this.parts = parts
    this.guard = guard
    this.logger = logger
    this.streams = streams
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard')
    try {
      const admitted = this.guard.admit(req)
      if (!admitted.ok) {
        const cookie =
          url.pathname === '/' ? this.guard.login(url.searchParams.get('token')) : undefined
        if (cookie) return redirect(res, cookie)
        return send(res, admitted.status, { error: admitted.reason })
      }
      if (url.searchParams.has('token')) return redirect(res) // keep the token out of the history
      await this.#route(req, res, url)
    } catch (err) {
      const error = toVectorizeError(err)
      const status = statusOf(error)
      if (status >= 500)
        this.logger.warn({ err: error.message, url: url.pathname }, 'dashboard request failed')
      if (!res.headersSent) send(res, status, { error: error.message, code: error.code })
      else res.destroy()
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname
    const signal = AbortSignal.timeout(120_000)
    const { parts } = this
    if (req.method === 'POST') return this.#action(req, res, path, signal)
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, { error: 'GET, HEAD or POST' })
    if (path === '/') return this.#page(res)
    if (path === '/favicon.ico') return void res.writeHead(204, securityHeaders).end()
    if (path.startsWith('/assets/')) return this.#asset(res, path.slice('/assets/'.length))
    if (path === '/api/events') return this.#events(req, res)
    if (path === '/api/snapshot') return send(res, 200, await parts.cluster.snapshot())
    if (path === '/api/config') return send(res, 200, parts.config())
    if (path === '/api/collections') return send(res, 200, await parts.collections.list(signal))
    const search = /^\/api\/collections\/([^/]+)\/search$/.exec(path)
    if (search) {
      const k = Math.min(50, Math.max(1, Number(url.searchParams.get('k') ?? 10) || 10))
      const text = url.searchParams.get('q') ?? ''
      if (text.trim() === '') throw new VectorizeError('invalid_argument', 'q: what to search for')
      const name = decodeURIComponent(search[1]!)
      return send(res, 200, await parts.collections.search(name, text, k, signal))
    }
    const taskId = /^\/api\/tasks\/(.+)$/.exec(path)?.[1]
    if (taskId) return send(res, 200, await task(parts, decodeURIComponent(taskId), signal))
    if (path === '/api/dead-letters')
      return send(res, 200, await listLetters(this.#letters(), url.searchParams, signal))
    const letter = /^\/api\/dead-letters\/(\d+:\d+)$/.exec(path)?.[1]
    if (letter) return send(res, 200, await oneLetter(this.#letters(), letter, signal))
    send(res, 404, { error: `no such page: ${path}` })
  }

  async #action(req: IncomingMessage, res: ServerResponse, path: string, signal: AbortSignal) {
    const action = /^\/api\/dead-letters\/(replay|discard)$/.exec(path)?.[1] as
      'replay' | 'discard' | undefined
    if (!action) return send(res, 404, { error: `no such action: ${path}` })
    const verdict = this.guard.authorizeAction(req)
    if (!verdict.ok) {
      this.logger.warn(
        { action, from: req.socket.remoteAddress, reason: verdict.reason },
        'dashboard action refused',
      )
      return send(res, verdict.status, { error: verdict.reason })
    }
    const selection = selectionOf(await readJson(req))
    const by = `dashboard ${req.socket.remoteAddress ?? '?'}${verdict.via === 'token' ? ' (token)' : ''}`
    send(res, 200, await act(this.#letters(), action, selection, by, signal))
  }

  #letters() {
    const store = this.parts.deadLetters
    if ('unavailable' in store) throw new VectorizeError('not_found', store.unavailable)
    return store
  }

  #page(res: ServerResponse): void {
    const boot: Boot = { ...this.options.boot, allowActions: this.options.allow_actions }
    const html = page(boot, this.guard.csrfToken)
    res.writeHead(200, { ...securityHeaders, 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  }

  async #asset(res: ServerResponse, name: string): Promise<void> {
    const type = assetTypes[name]
    if (!type) return send(res, 404, { error: `no such asset: ${name}` })
    let body: Buffer
    try {
      body = await readFile(join(this.options.assets, name))
    } catch {
      return send(res, 404, { error: `${name} is not built: run npm run build` })
    }
    res.writeHead(200, { ...securityHeaders, 'content-type': type })
    res.end(body)
  }

  #events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    })
    const push = (data: unknown) => res.write(`event: snapshot\ndata: ${JSON.stringify(data)}\n\n`)
    this.streams.add(res)
    const unsubscribe = this.parts.cluster.subscribe(push)
    void this.parts.cluster.snapshot().then(push, () => undefined)
    req.on('close', () => {
      unsubscribe()
      this.streams.delete(res)
    })
  }
}

const securityHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
} as const

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': 'application/json; charset=utf-8' })
  res.end(`${JSON.stringify(body)}\n`)
}

function redirect(res: ServerResponse, cookie?: string): void {
  res.writeHead(303, { ...securityHeaders, location: '/', ...(cookie && { 'set-cookie': cookie }) })
  res.end()
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBody)
      throw new VectorizeError('invalid_argument', `request body over ${maxBody} bytes`)
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    throw new VectorizeError('invalid_argument', 'the request body is not JSON')
  }
}

function statusOf(error: VectorizeError): number {
  if (error.code === 'not_found') return 404
  if (error.code === 'invalid_argument') return 400
  if (error.retriable) return 503
  return 500
}

function listenError(options: DashboardOptions, err: Error): VectorizeError {
  return new VectorizeError(
    'config_invalid',
    `cannot serve the dashboard on ${options.host}:${options.port} (dashboard.host, dashboard.port): ${err.message}`,
    { cause: err },
  )
}
