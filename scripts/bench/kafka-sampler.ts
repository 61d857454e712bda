/**
 * bench:kafka's clock: every `sampleMs` while the workers run, the group's lag, the 1-minute load
 * average, the CPU-seconds of each worker, the broker and Weaviate, and each worker's resident
 * memory. The run's figures are differences between two samples (summary.ts).
 */
import { loadavg } from 'node:os'
import { cpuSeconds, residentBytes } from './processes.ts'

export interface Sample {
  /** ms since the epoch */
  readonly at: number
  readonly lag: number
  readonly load1: number
  readonly workerCpuS: readonly (number | undefined)[]
  readonly brokerCpuS: number | undefined
  readonly storeCpuS: number | undefined
  readonly workerRssBytes: readonly (number | undefined)[]
}

export interface Watched {
  readonly workerPids: readonly (number | undefined)[]
  readonly brokerPid: number | undefined
  /** The store server's process (Weaviate); undefined for an embedded store. */
  readonly storePid: number | undefined
}

export async function sample(watched: Watched, lag: () => Promise<number>): Promise<Sample> {
  const lagNow = await lag()
  return {
    at: Date.now(),
    lag: lagNow,
    load1: loadavg()[0]!,
    workerCpuS: watched.workerPids.map(cpuSeconds),
    brokerCpuS: cpuSeconds(watched.brokerPid),
    storeCpuS: cpuSeconds(watched.storePid),
    workerRssBytes: watched.workerPids.map((pid) => residentBytes(pid)?.rss),
  }
}

/** Peak resident memory (VmHWM) of each process, read before it exits. */
export function peakRss(pids: readonly (number | undefined)[]): (number | undefined)[] {
  return pids.map((pid) => residentBytes(pid)?.peak)
}
