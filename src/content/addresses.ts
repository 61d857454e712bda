/**
 * The address policy for content URLs (issue 5, reliability.md S2): only plain public unicast
 * addresses, plus networks the operator lists in `content.url_allow_networks` (for tests and
 * trusted internal sources). Loopback, private, link-local (cloud metadata at 169.254.169.254),
 * unique-local, carrier-grade NAT, multicast, reserved, unspecified and the IPv6 forms that embed an
 * IPv4 address (mapped, NAT64, 6to4, Teredo) are refused. `ipaddr.js` classifies the ranges.
 */
import ipaddr from 'ipaddr.js'
import { VectorizeError } from '../worker/errors.ts'

type Address = ipaddr.IPv4 | ipaddr.IPv6
export type Network = readonly [Address, number]

export type Verdict =
  | { readonly allowed: true; readonly address: string }
  | { readonly allowed: false; readonly address: string; readonly range: string }

/** Parses `url_allow_networks` entries (`10.1.2.0/24`, `::1/128`, or a bare address). */
export function parseNetworks(entries: readonly string[]): Network[] {
  return entries.map((entry) => {
    try {
      if (entry.includes('/')) return ipaddr.parseCIDR(entry)
      const address = ipaddr.parse(entry)
      return [address, address.kind() === 'ipv4' ? 32 : 128] as const
    } catch (err) {
      throw new VectorizeError(
        'config_invalid',
        `content.url_allow_networks entry ${JSON.stringify(entry)} is not an address or CIDR network`,
        { cause: err },
      )
    }
  })
}

/**
 * Decides one address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it
 * maps to, so it can neither sneak past the policy nor past an allowed IPv4 network.
 */
export function addressVerdict(text: string, allow: readonly Network[]): Verdict {
  if (!ipaddr.isValid(text)) return { allowed: false, address: text, range: 'invalid' }
  const address = ipaddr.process(text)
  const shown = address.toString()
  for (const [net, bits] of allow)
    if (net.kind() === address.kind() && address.match(net, bits))
      return { allowed: true, address: shown }
  const range = address.range()
  return range === 'unicast'
    ? { allowed: true, address: shown }
    : { allowed: false, address: shown, range }
}

/** Throws `url_not_allowed` unless every address is allowed: one bad answer refuses the host. */
export function requireAllowed(
  host: string,
  addresses: readonly string[],
  allow: readonly Network[],
): void {
  if (addresses.length === 0)
    throw new VectorizeError('fetch_failed', `URL host ${host} has no addresses`, {
      details: { host },
    })
  for (const address of addresses) {
    const verdict = addressVerdict(address, allow)
    if (!verdict.allowed)
      throw new VectorizeError(
        'url_not_allowed',
        `URL host ${host} is refused: ${verdict.address} is a ${verdict.range} address ` +
          '(only public unicast addresses and content.url_allow_networks are allowed)',
        { details: { host, address: verdict.address, range: verdict.range } },
      )
  }
}
