/** Disk use of an embedded queue directory, by part, sampled on a timer (bench-queue). */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface DiskUse {
  readonly tasks: number
  readonly status: number
  readonly deadLetters: number
  /** Commit file, locks, a compaction's copy in progress. */
  readonly other: number
  readonly total: number
}

const parts: readonly [keyof Omit<DiskUse, 'total'>, RegExp][] = [
  ['tasks', /^tasks-\d{20}\.log$/],
  ['status', /^status\.log$/],
  ['deadLetters', /^dlq-\d{20}\.log$/],
]

export async function diskUse(dir: string): Promise<DiskUse> {
  const use = { tasks: 0, status: 0, deadLetters: 0, other: 0 }
  for (const name of await readdir(dir).catch(() => [])) {
    const size = await stat(join(dir, name)).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0, // deleted by retention while we look
    )
    const part = parts.find(([, pattern]) => pattern.test(name))?.[0] ?? 'other'
    use[part] += size
  }
  return { ...use, total: use.tasks + use.status + use.deadLetters + use.other }
}

/** Samples `diskUse` every `intervalMs` and keeps the largest value of each part. */
export class DiskSampler {
  readonly #dir: string
  readonly #timer: NodeJS.Timeout
  #sampling: Promise<void> = Promise.resolve()
  #max: DiskUse = { tasks: 0, status: 0, deadLetters: 0, other: 0, total: 0 }
  #last: DiskUse = this.#max
  samples = 0

  constructor(dir: string, intervalMs: number) {
    this.#dir = dir
    this.#timer = setInterval(() => void this.sample(), intervalMs)
  }

  get max(): DiskUse {
    return this.#max
  }

  get last(): DiskUse {
    return this.#last
  }

  sample(): Promise<void> {
    this.#sampling = this.#sampling.then(async () => {
      const use = await diskUse(this.#dir)
      this.samples++
      this.#last = use
      const m = this.#max
      this.#max = {
        tasks: Math.max(m.tasks, use.tasks),
        status: Math.max(m.status, use.status),
        deadLetters: Math.max(m.deadLetters, use.deadLetters),
        other: Math.max(m.other, use.other),
        total: Math.max(m.total, use.total),
      }
    })
    return this.#sampling
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.sample()
  }
}
