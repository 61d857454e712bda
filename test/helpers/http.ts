/**
 * Loopback HTTP servers for the URL tests: routes by path, and a count of the TCP connections
 * each server accepted, so a test can show that a refused URL never reached it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Route = (req: IncomingMessage, res: ServerResponse) => void

export interface TestServer {
  /** `http://HOST:PORT` (IPv6 hosts in brackets). */
  readonly origin: string
  readonly port: number
  /** TCP connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

/** Listens on `host` (loopback only) and answers each path with its route, 404 otherwise. */
export async function testServer(
  routes: Readonly<Record<string, Route>>,
  host = '127.0.0.1',
): Promise<TestServer> {
  let accepted = 0
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname]
    if (route) route(req, res)
    else res.writeHead(404).end('not found')
  })
  server.on('connection', () => accepted++)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export const body =
  (bytes: Buffer | string, headers: Record<string, string> = {}): Route =>
  (_req, res) =>
    res
      .writeHead(200, { 'content-length': String(Buffer.byteLength(bytes)), ...headers })
      .end(bytes)

export const redirect =
  (location: string, status = 302): Route =>
  (_req, res) =>
    res.writeHead(status, { location }).end()

/** Sends the headers and a first chunk, then nothing more, ever (until the server closes). */
export const stall =
  (first = 'partial'): Route =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' })
    res.write(first)
  }

/** A body sent in chunks with no Content-Length. */
export const chunked =
  (size: number): Route =>
  (_req, res) => {
    res.writeHead(200)
    const piece = Buffer.alloc(1024, 1)
    for (let sent = 0; sent < size; sent += piece.length) res.write(piece)
    res.end()
  }
