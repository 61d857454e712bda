/**
 * Who may see the dashboard and who may act on it. Read-only by default; an action (replay,
 * discard) needs, in this order:
 * 1. `dashboard.allow_actions: true`;
 * 2. the token, when one is set — and one must be set to allow actions beyond loopback (the
 *    dashboard refuses to start otherwise, `checkStart`);
 * 3. the CSRF token the page was served with, in the `x-csrf-token` header;
 * 4. a same-origin request: an `Origin` (when the browser sends one) naming the `Host`, and no
 *    cross-site `Sec-Fetch-Site`.
 * When a token is set every request needs it, as `Authorization: Bearer …` or the session cookie
 * that `/?token=…` sets once (HttpOnly, SameSite=Strict). Bound to loopback, the `Host` must be a
 * loopback name, so a web page cannot reach the dashboard through DNS rebinding.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { VectorizeError } from '../worker/errors.ts'

export interface SecuritySettings {
  readonly host: string
  readonly allow_actions: boolean
  readonly token: string
}

/** The facts of a request the decisions need (node's IncomingMessage has them all). */
export interface RequestFacts {
  readonly method?: string | undefined
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

export type Verdict =
  | { readonly ok: true; readonly via: 'token' | 'open' }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string }

export const sessionCookie = 'vectorize_dashboard'
export const csrfHeader = 'x-csrf-token'

/** Loopback: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost' || bare === '::1') return true
  return isIP(bare) === 4 && bare.startsWith('127.')
}

/** Stops start-up where actions would be open to anyone who can reach the port. */
export function checkStart(settings: SecuritySettings): void {
  if (isLoopback(settings.host) || !settings.allow_actions || settings.token !== '') return
  throw new VectorizeError(
    'config_invalid',
    `dashboard.host is ${settings.host}, beyond loopback, with dashboard.allow_actions: true and no dashboard.token: ` +
      'anyone who can reach the port could replay and discard dead letters. Set VECTORIZE_WORKER_DASHBOARD_TOKEN, ' +
      'bind to 127.0.0.1, or leave actions off.',
    { details: { setting: 'dashboard.token' } },
  )
}

export class Guard {
  readonly #settings: SecuritySettings
  readonly #secret: Buffer
  /** Host headers accepted when bound to loopback, e.g. `127.0.0.1:9465`. */
  #hosts: ReadonlySet<string> | undefined

  constructor(settings: SecuritySettings, secret: Buffer = randomBytes(32)) {
    this.#settings = settings
    this.#secret = secret
  }

  /** Once bound: the port the Host header must name (when bound to loopback). */
  bound(port: number): void {
    if (!isLoopback(this.#settings.host)) return
    const names = ['127.0.0.1', 'localhost', '[::1]', this.#settings.host]
    this.#hosts = new Set(names.map((n) => `${n}:${port}`.toLowerCase()))
  }

  /** Issued with the page; every action must send it back. */
  get csrfToken(): string {
    return this.#mac('csrf')
  }

  /** The session cookie's value: worth the token, and void when the process restarts. */
  get session(): string {
    return this.#mac('session')
  }

  /** May this request see anything at all? */
  admit(req: RequestFacts): Verdict {
    const host = header(req, 'host')?.toLowerCase()
    if (this.#hosts && (!host || !this.#hosts.has(host))) {
      return deny(403, `Host ${host ?? '(none)'} is not this dashboard's loopback address`)
    }
    if (this.#settings.token === '') return { ok: true, via: 'open' }
    const bearer = /^Bearer\s+(.+)$/i.exec(header(req, 'authorization') ?? '')?.[1]
    if (bearer !== undefined && same(bearer, this.#settings.token))
      return { ok: true, via: 'token' }
    const cookie = cookies(header(req, 'cookie'))[sessionCookie]
    if (cookie !== undefined && same(cookie, this.session)) return { ok: true, via: 'token' }
    return deny(401, 'this dashboard needs its token: open it once as /?token=… (dashboard.token)')
  }

  /** `/?token=…`: the cookie to set when the token is right. */
  login(token: string | null): string | undefined {
    if (token === null || this.#settings.token === '' || !same(token, this.#settings.token)) {
      return undefined
    }
    return `${sessionCookie}=${this.session}; HttpOnly; SameSite=Strict; Path=/`
  }

  /** May this request replay or discard? `admit` must have passed. */
  authorizeAction(req: RequestFacts): Verdict {
    if (!this.#settings.allow_actions) {
      return deny(403, 'actions are off: set dashboard.allow_actions: true to replay or discard')
    }
    if (this.#settings.token === '' && !isLoopback(this.#settings.host)) {
      return deny(403, 'actions beyond loopback need dashboard.token') // checkStart stops this earlier
    }
    const admitted = this.admit(req)
    if (!admitted.ok) return admitted
    if (req.method !== 'POST') return deny(403, 'actions are POST requests')
    const csrf = header(req, csrfHeader)
    if (csrf === undefined || !same(csrf, this.csrfToken)) {
      return deny(403, `missing or wrong ${csrfHeader}: reload the page`)
    }
    const site = header(req, 'sec-fetch-site')
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return deny(403, `cross-site request (Sec-Fetch-Site: ${site})`)
    }
    const origin = header(req, 'origin')
    if (origin !== undefined && !sameHost(origin, header(req, 'host'))) {
      return deny(403, `Origin ${origin} is not this dashboard`)
    }
    return admitted
  }

  #mac(purpose: string): string {
    return createHmac('sha256', this.#secret).update(purpose).digest('base64url')
  }
}

function header(req: RequestFacts, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function cookies(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (raw ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return out
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host.toLowerCase() === host.toLowerCase()
  } catch {
    return false
  }
}

/** Constant-time comparison of two strings. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function deny(status: 401 | 403, reason: string): Verdict {
  return { ok: false, status, reason }
}
