/** The machine a benchmark ran on, for the table header and the JSON line. */
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { env as ortEnv } from 'onnxruntime-node'
import { env as transformersEnv } from '@huggingface/transformers'

export interface MachineInfo {
  readonly cpu: string
  readonly cores: number
  readonly cpuFlags: string
  readonly memGiB: number
  readonly node: string
  readonly onnxruntimeNode: string
  readonly transformersJs: string
  readonly platform: string
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown'
  let flags: string[] = []
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8')
    cpu = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? cpu
    flags = (/^flags\s*:\s*(.+)$/m.exec(text)?.[1] ?? '').split(/\s+/)
  } catch {
    // not Linux: os.cpus() is all there is
  }
  const simd = ['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile'].filter((f) =>
    flags.includes(f),
  )
  return {
    cpu,
    cores: availableParallelism(),
    cpuFlags: simd.join(' ') || 'n/a',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    onnxruntimeNode: ortEnv.versions.node ?? 'unknown',
    transformersJs: transformersEnv.version,
    platform: `${process.platform}-${process.arch}`,
  }
}

/** 1-minute load average: other processes on a shared box skew every figure. */
export function load1(): number {
  return Math.round(loadavg()[0]! * 100) / 100
}
