/**
 * StatusIndex: `status.log` folded into the latest state of each task (local-fold.ts), for
 * `vectorize status`. The first read folds the whole file in one streaming pass; later reads fold
 * only what was appended since (by this process or another one), so `vectorize status` stays fast
 * on a long log. Results are large (one id per vector), so the fold keeps only where the last one
 * is and reads it back when asked. When compaction replaced the file, the index starts over on the
 * new one: reads and folds take turns, so a result is never read from a file already closed. A
 * task's history (local-history.ts) is read from the same file, from the task's first line on.
 */
import type { FileHandle } from 'node:fs/promises'
import { open, stat } from 'node:fs/promises'
import type { ResultMessage, TaskState } from '../protocol/report.ts'
import type { TaskRecord } from './reporter.ts'
import { readLines } from '../files/lines.ts'
import { errorCode } from '../files/lock.ts'
import { StatusFold } from './local-fold.ts'
import { readHistory } from './local-history.ts'
import { taskRecord } from './task-state.ts'

export class StatusIndex {
  readonly #path: string
  #file: { readonly handle: FileHandle; readonly ino: number } | undefined
  #fold = new StatusFold()
  /** Bytes of the file folded so far; always the start of a line. */
  #folded = 0
  #turn: Promise<unknown> = Promise.resolve()

  constructor(path: string) {
    this.#path = path
  }

  /** Damaged lines skipped so far (in the current file). */
  get damaged(): number {
    return this.#fold.damaged
  }

  /** The task's latest state and result, and its status records when `history` is asked. */
  task(taskId: string, history = false): Promise<TaskRecord | undefined> {
    return this.#inTurn(async () => {
      await this.#catchUp()
      const file = this.#file?.handle
      const entry = this.#fold.get(taskId)
      if (!file || entry?.state === undefined) return undefined
      const result = entry.result && (await readResult(file, entry.result))
      const range = { from: entry.first, to: this.#folded }
      const lines = history ? await readHistory(file, taskId, range) : undefined
      return taskRecord(taskId, entry, result, lines)
    })
  }

  counts(): Promise<Record<TaskState, number>> {
    return this.#inTurn(async () => {
      await this.#catchUp()
      return this.#fold.counts()
    })
  }

  close(): Promise<void> {
    return this.#inTurn(async () => {
      await this.#file?.handle.close()
      this.#file = undefined
    })
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#turn.then(work)
    this.#turn = next.catch(() => undefined)
    return next
  }

  /** Folds in everything appended since the last call; starts over if the file was replaced. */
  async #catchUp(): Promise<void> {
    const onDisk = await stat(this.#path).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return undefined
      throw err
    })
    if (onDisk === undefined) return
    if (this.#file?.ino !== onDisk.ino) {
      const handle = await open(this.#path, 'r')
      const { ino } = await handle.stat()
      await this.#file?.handle.close()
      this.#file = { handle, ino }
      this.#fold = new StatusFold()
      this.#folded = 0
    }
    for await (const line of readLines(this.#file.handle, this.#folded)) {
      this.#fold.apply(line.bytes, line.start)
      this.#folded = line.end
    }
  }
}

export async function readResult(
  file: FileHandle,
  { start, length }: { start: number; length: number },
): Promise<ResultMessage> {
  const bytes = Buffer.allocUnsafe(length)
  await file.read(bytes, 0, length, start)
  return (JSON.parse(bytes.toString('utf8')) as { result: ResultMessage }).result
}
