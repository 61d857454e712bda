/**
 * LocalDeadLetterLog: the embedded queue's dead letters (the reporter's segmented dead-letter log
 * `dlq-<base offset>.log` in `queue.dir`, one partition, offsets are line indexes across segments;
 * retention deletes whole old segments, so the first offset kept moves up) and their handled marks in
 * `dlq.handled`, JSON Lines appended under `dlq.handled.lock` and fsynced:
 *
 *   {"id":"0:7","state":"replayed","at":"…","by":"cli ana@host","task_id":"t1","code":"unknown_model","replay":1}
 *
 * Replays go back to the queue through the queue's own publisher. The embedded log has no headers,
 * so a replay's number lives in its mark only. Marks of letters that retention deleted are dropped
 * by rewriting the file (`forget`); readers notice the new file by its inode and read it again.
 */
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir, writeFileAtomic } from '../files/durable.ts'
import { readLines } from '../files/lines.ts'
import { errorCode, waitLock } from '../files/lock.ts'
import type { Logger } from '../observability/logger.ts'
import { deadLetterHeaders as h } from '../reporters/kafka-dead-letter.ts'
import { decodeDeadLetter } from '../reporters/local.ts'
import { deadLetterPrefix } from '../reporters/local-dlq.ts'
import { listSegments } from '../files/segments.ts'
import type { TaskPublisher } from '../sources/source.ts'
import type { Signal } from '../worker/types.ts'
import type { DeadLetterLog, HandledMark, PartitionRange, RawLetter } from './dead-letter.ts'
import { letterId } from './dead-letter.ts'
import { LineIndex } from './line-index.ts'
import { markLine, parseMarkLine } from './local-records.ts'

export const handledFileName = 'dlq.handled'
const lockTimeoutMs = 30_000

export interface LocalLogDeps {
  readonly logger: Logger
  /** Opens the queue's publisher, on the first replay. */
  readonly publisher: () => Promise<TaskPublisher>
}

interface Segment {
  readonly base: number
  readonly path: string
}

export class LocalDeadLetterLog implements DeadLetterLog {
  readonly kind = 'local'
  readonly where: string
  readonly #deps: LocalLogDeps
  readonly #indexes = new Map<string, LineIndex>()
  #marksRead = 0
  /**
   * Which `dlq.handled` was read so far (inode and birth time: a freed inode can be reused by a
   * later rewrite): `forget` replaces the file, then reading restarts from its start.
   */
  #marksFile: string | undefined
  #publisher: Promise<TaskPublisher> | undefined

  constructor(dir: string, deps: LocalLogDeps) {
    this.where = dir
    this.#deps = deps
  }

  async ranges(_opts: Signal): Promise<PartitionRange[]> {
    const segments = await this.#segments()
    const first = segments[0]
    const last = segments[segments.length - 1]
    if (!first || !last) return [{ partition: 0, low: 0, high: 0 }]
    const high = last.base + (await this.#index(last).lines())
    return [{ partition: 0, low: first.base, high }]
  }

  async read(partition: number, from: number, max: number, { signal }: Signal) {
    if (partition !== 0) return []
    const letters: RawLetter[] = []
    for (const segment of await this.#segments()) {
      const index = this.#index(segment)
      const lines = await index.lines()
      if (from >= segment.base + lines) continue
      await this.#readSegment(segment, index, Math.max(from, segment.base), max, letters, signal)
      if (letters.length >= max) break
    }
    return letters
  }

  async newMarks({ signal }: Signal): Promise<HandledMark[]> {
    const marks: HandledMark[] = []
    let file
    try {
      file = await open(join(this.where, handledFileName), 'r')
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return marks // nothing handled yet
      throw err
    }
    try {
      const { ino, birthtimeMs, size } = await file.stat()
      const which = `${ino}:${birthtimeMs}`
      // marks seen again are ignored (Marks.add); a file shorter than what was read is a new one
      if (which !== this.#marksFile || size < this.#marksRead) this.#marksRead = 0
      this.#marksFile = which
      for await (const line of readLines(file, this.#marksRead)) {
        signal.throwIfAborted()
        const mark = parseMarkLine(line.bytes)
        if (mark) marks.push(mark)
        else if (line.bytes.length > 0)
          this.#deps.logger.warn({ at: line.start }, 'skipping a damaged line of dlq.handled')
        this.#marksRead = line.end
      }
    } finally {
      await file.close()
    }
    return marks
  }

  async mark(marks: readonly HandledMark[], { signal }: Signal): Promise<void> {
    if (marks.length === 0) return
    await mkdir(this.where, { recursive: true })
    const path = join(this.where, handledFileName)
    const lock = await waitLock(`${path}.lock`, { signal, timeoutMs: lockTimeoutMs })
    try {
      const file = await open(path, 'a+')
      try {
        const { size } = await file.stat()
        const tail = Buffer.alloc(1)
        if (size > 0) await file.read(tail, 0, 1, size - 1)
        // a torn line left by a crash is closed first, so the new marks start on a line of their own
        const lead = size > 0 && tail[0] !== 0x0a ? '\n' : ''
        await file.write(lead + marks.map(markLine).join(''))
        await file.datasync()
      } finally {
        await file.close()
      }
      await syncDir(this.where)
    } finally {
      await lock.release()
    }
  }

  /** Rewrites `dlq.handled` without these marks (and without damaged lines), atomically. */
  async forget(ids: readonly string[], { signal }: Signal): Promise<void> {
    if (ids.length === 0) return
    const gone = new Set(ids)
    const path = join(this.where, handledFileName)
    const lock = await waitLock(`${path}.lock`, { signal, timeoutMs: lockTimeoutMs })
    try {
      let file
      try {
        file = await open(path, 'r')
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return
        throw err
      }
      const kept: string[] = []
      try {
        for await (const line of readLines(file, 0)) {
          const mark = parseMarkLine(line.bytes)
          if (mark && !gone.has(mark.id)) kept.push(markLine(mark))
        }
      } finally {
        await file.close()
      }
      await writeFileAtomic(path, kept.join(''))
    } finally {
      await lock.release()
    }
  }

  async republish(letters: readonly { letter: RawLetter }[], { signal }: Signal): Promise<void> {
    this.#publisher ??= this.#deps.publisher()
    const publisher = await this.#publisher
    await publisher.publish(
      letters.map(({ letter }) => letter.value),
      { signal },
    )
  }

  async close(): Promise<void> {
    const publisher = await this.#publisher?.catch(() => undefined)
    await publisher?.close()
  }

  async #readSegment(
    segment: Segment,
    index: LineIndex,
    from: number,
    max: number,
    into: RawLetter[],
    signal: AbortSignal,
  ): Promise<void> {
    const start = index.seek(from - segment.base)
    let offset = segment.base + start.line
    let file
    try {
      file = await open(segment.path, 'r')
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return // deleted by retention since the listing
      throw err
    }
    try {
      for await (const line of readLines(file, start.position)) {
        signal.throwIfAborted()
        const at = offset++
        if (at < from || line.bytes.length === 0) continue
        const letter = rawLetter(line.bytes, at)
        if (letter) into.push(letter)
        if (into.length >= max) return
      }
    } finally {
      await file.close()
    }
  }

  #index(segment: Segment): LineIndex {
    let index = this.#indexes.get(segment.path)
    if (!index) this.#indexes.set(segment.path, (index = new LineIndex(segment.path)))
    return index
  }

  /**
   * The segments of the dead-letter log (files/segments.ts), oldest first; a log written before
   * segments existed is `dlq.log`, read as segment 0 until the reporter adopts it.
   */
  async #segments(): Promise<Segment[]> {
    const segments = await listSegments(this.where, deadLetterPrefix)
    if (segments.length > 0) return segments
    return [{ base: 0, path: join(this.where, `${deadLetterPrefix}.log`) }]
  }
}

function rawLetter(bytes: Buffer, offset: number): RawLetter | undefined {
  const stored = decodeDeadLetter(bytes, offset)
  if (!stored) return undefined
  const { error, origin } = stored
  return {
    id: letterId(0, offset),
    partition: 0,
    offset,
    at: stored.at,
    taskId: stored.taskId,
    error,
    origin,
    attempts: stored.attempts,
    workerId: stored.workerId,
    // the fields under the Kafka header names, so that both modes read alike
    headers: {
      [h.errorClass]: error.class,
      [h.errorCode]: error.code,
      [h.errorReason]: error.message,
      [h.originTopic]: origin.topic,
      [h.originPartition]: String(origin.partition),
      [h.originOffset]: String(origin.offset),
      [h.attempts]: String(stored.attempts),
      [h.workerId]: stored.workerId,
      [h.taskId]: stored.taskId,
      ...(stored.key && { [h.originKey]: keyText(stored.key) }),
    },
    ...(stored.key && { key: stored.key }),
    value: stored.value,
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** A key as header text: UTF-8 as it is, other bytes as `base64:…` (as the Kafka log shows it). */
function keyText(key: Uint8Array): string {
  try {
    return strictUtf8.decode(key)
  } catch {
    return `base64:${Buffer.from(key).toString('base64')}`
  }
}
