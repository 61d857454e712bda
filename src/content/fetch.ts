/**
 * Guarded downloads for image and document URLs (issue 5, reliability.md S2). Each hop is checked
 * before any socket opens: scheme against `content.allowed_schemes`, no credentials, and every
 * address the host resolves to against the address policy (`addresses.ts`). The socket then gets
 * only those checked addresses (a pinned `lookup`), so DNS rebinding between check and connect
 * cannot happen. Redirects are followed by hand, each hop re-checked, at most `max_redirects`.
 * One deadline (`fetch_timeout_ms`) covers every hop and a body that stalls; the body is streamed
 * under a byte cap (`max_fetch_bytes`) whether or not Content-Length is sent. Nothing is
 * decompressed (no Accept-Encoding is sent).
 *
 * Every failure is a data error (not retriable): the URL is part of the task's input, and a host
 * that is down, slow or hostile must fail its task rather than hold the worker in retries.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { VectorizeError } from '../worker/errors.ts'
import { parseNetworks, requireAllowed, type Network } from './addresses.ts'
import { tooLarge } from './paths.ts'

export interface FetchLimits {
  readonly allowed_schemes: readonly string[]
  /** Networks allowed besides public unicast (tests, trusted internal sources). */
  readonly url_allow_networks: readonly string[]
  readonly max_fetch_bytes: number
  readonly fetch_timeout_ms: number
  readonly max_redirects: number
}

/** Resolves a host name to its addresses; injected by tests so they never query real DNS. */
export type Resolver = (host: string) => Promise<readonly string[]>

export interface FetchOptions {
  /** The task's signal (shutdown, task timeout); the fetch deadline is added to it. */
  readonly signal?: AbortSignal
  readonly resolve?: Resolver
}

export interface Fetched {
  readonly bytes: Buffer
  /** The URL the bytes came from, after redirects. */
  readonly url: string
}

/** A checked hop: where to connect, decided before any socket exists. */
export interface Target {
  readonly url: URL
  readonly addresses: readonly { address: string; family: number }[]
}

const supportedSchemes = new Set(['http', 'https'])
const redirects = new Set([301, 302, 303, 307, 308])

const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address)

export async function fetchUrl(
  url: string,
  limits: FetchLimits,
  options: FetchOptions = {},
): Promise<Fetched> {
  const allow = parseNetworks(limits.url_allow_networks)
  const deadline = AbortSignal.timeout(limits.fetch_timeout_ms)
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline
  const resolve = options.resolve ?? systemResolver
  try {
    let current = checkUrl(url, limits)
    for (let hop = 0; ; hop++) {
      const target = await resolveTarget(current, allow, bounded(resolve, signal))
      const response = await get(target, signal)
      const next = redirectOf(response, current)
      if (!next) return { bytes: await readBody(response, current, limits), url: current.href }
      response.destroy()
      if (hop >= limits.max_redirects)
        throw new VectorizeError(
          'too_many_redirects',
          `URL ${current.origin} redirected more than content.max_redirects (${limits.max_redirects}) times`,
          { details: { max: limits.max_redirects } },
        )
      current = checkUrl(next, limits)
    }
  } catch (err) {
    if (deadline.aborted && !options.signal?.aborted)
      throw new VectorizeError(
        'fetch_timeout',
        `URL ${safe(url)} did not finish within content.fetch_timeout_ms (${limits.fetch_timeout_ms} ms)`,
        { cause: err, details: { timeout_ms: limits.fetch_timeout_ms } },
      )
    throw err instanceof VectorizeError || options.signal?.aborted ? err : failed(url, err)
  }
}

/** Scheme and shape of one URL (the first, or a redirect's Location). */
export function checkUrl(text: string, limits: Pick<FetchLimits, 'allowed_schemes'>): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new VectorizeError('url_not_allowed', `content URL ${safe(text)} is not a valid URL`)
  }
  const scheme = url.protocol.slice(0, -1)
  if (!supportedSchemes.has(scheme) || !limits.allowed_schemes.includes(scheme))
    throw new VectorizeError(
      'url_not_allowed',
      `URL scheme ${scheme}: is refused (content.allowed_schemes: ${limits.allowed_schemes.join(', ')}; ` +
        'only http and https are supported)',
      { details: { scheme } },
    )
  if (url.username || url.password)
    throw new VectorizeError('url_not_allowed', 'URLs with credentials are refused', {
      details: { host: url.hostname },
    })
  return url
}

/**
 * The address decision for one hop, before any socket opens. Literal IPs (the URL parser has
 * already turned `2130706433` or `0x7f.1` into dotted form) are judged as they are; names are
 * resolved and every address they resolve to must pass.
 */
export async function resolveTarget(
  url: URL,
  allow: readonly Network[],
  resolve: Resolver,
): Promise<Target> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const addresses = isIP(host)
    ? [host]
    : await resolve(host).catch((err: unknown) => {
        throw failed(url.href, err)
      })
  requireAllowed(host, addresses, allow)
  return { url, addresses: addresses.map((address) => ({ address, family: isIP(address) })) }
}

/** The resolver under the fetch deadline: a DNS query that hangs must not outlive it. */
function bounded(resolve: Resolver, signal: AbortSignal): Resolver {
  return (host) =>
    new Promise((done, fail) => {
      if (signal.aborted) return fail(signal.reason as Error)
      const onAbort = () => fail(signal.reason as Error)
      signal.addEventListener('abort', onAbort, { once: true })
      resolve(host)
        .then(done, fail)
        .finally(() => signal.removeEventListener('abort', onAbort))
    })
}

/** Hands the socket only the checked addresses: no second DNS query that could answer otherwise. */
function pinned(target: Target): LookupFunction {
  return (_host, options, callback) => {
    const first = target.addresses[0]!
    if (options.all) callback(null, [...target.addresses])
    else callback(null, first.address, first.family)
  }
}

function get(target: Target, signal: AbortSignal): Promise<IncomingMessage> {
  const client = target.url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = client.request(target.url, {
      agent: false,
      lookup: pinned(target),
      signal,
      headers: { accept: '*/*', 'user-agent': 'vectorize' },
    })
    // `on`, not `once`: a request may emit a second error (abort, then hang-up) after the first
    request.once('response', resolve).on('error', reject).end()
  })
}

function redirectOf(response: IncomingMessage, from: URL): string | undefined {
  if (!redirects.has(response.statusCode ?? 0)) return undefined
  const location = response.headers.location
  if (!location) {
    response.destroy()
    throw new VectorizeError('fetch_failed', `URL ${from.origin} redirected without a Location`)
  }
  return new URL(location, from).href
}

async function readBody(response: IncomingMessage, url: URL, limits: FetchLimits): Promise<Buffer> {
  const status = response.statusCode ?? 0
  if (status < 200 || status > 299) {
    response.destroy()
    throw new VectorizeError(
      'fetch_failed',
      `URL ${url.origin}${url.pathname} answered HTTP ${status}`,
      {
        details: { status },
      },
    )
  }
  const max = limits.max_fetch_bytes
  const declared = Number(response.headers['content-length'] ?? NaN)
  if (declared > max) {
    response.destroy()
    throw tooLarge(`URL ${url.origin}${url.pathname}`, declared, max)
  }
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of response as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes > max) {
      response.destroy()
      throw tooLarge(`URL ${url.origin}${url.pathname} (at least)`, bytes, max)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function failed(url: string, err: unknown): VectorizeError {
  const code = (err as NodeJS.ErrnoException)?.code
  const reason = code ?? (err instanceof Error ? err.message : String(err))
  return new VectorizeError('fetch_failed', `URL ${safe(url)} could not be fetched (${reason})`, {
    cause: err,
    details: { reason },
  })
}

/** A URL for messages: origin and path only (query strings may carry tokens). */
function safe(text: string): string {
  try {
    const url = new URL(text)
    return `${url.protocol}//${url.host}${url.pathname}`
  } catch {
    return '(unparseable URL)'
  }
}
