/**
 * What a benchmark reads about the processes on the machine, from /proc (Linux; elsewhere every
 * reading is undefined): CPU-seconds, resident memory, and the process listening on a TCP port
 * (the shared broker and Weaviate run as other processes, started by scripts/services.sh).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

const TICKS = 100 // USER_HZ: the unit of /proc/<pid>/stat times on Linux

/** CPU-seconds (user + system) the process has used, or undefined when it cannot be read. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  } catch {
    return undefined
  }
}

/** Resident memory now (VmRSS) and at its peak (VmHWM), in bytes. */
export function residentBytes(pid: number | undefined): { rss: number; peak: number } | undefined {
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(status)?.[1])
    const [rss, peak] = [kib('VmRSS'), kib('VmHWM')]
    return Number.isFinite(rss) && Number.isFinite(peak)
      ? { rss: rss * 1024, peak: peak * 1024 }
      : undefined
  } catch {
    return undefined
  }
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[]
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1)
    } catch {
      continue
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/)
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the 10th field
      const local = f[1]?.split(':')[1]
      if (local !== undefined && parseInt(local, 16) === port && f[3] === '0A' && f[9]) {
        inodes.add(f[9])
      }
    }
  }
  return inodes
}

/**
 * The pid of the process listening on `port`, or undefined (not Linux, nothing listening, or a
 * process whose descriptors this user may not read). `override` (a pid from the environment) wins.
 */
export function listenerPid(port: number, override?: string): number | undefined {
  const given = Number(override)
  if (Number.isInteger(given) && given > 0) return given
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return undefined
  const sockets = new Set([...inodes].map((inode) => `socket:[${inode}]`))
  for (const name of safeList('/proc').filter((n) => /^\d+$/.test(n))) {
    for (const fd of safeList(`/proc/${name}/fd`)) {
      try {
        if (sockets.has(readlinkSync(`/proc/${name}/fd/${fd}`))) return Number(name)
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
