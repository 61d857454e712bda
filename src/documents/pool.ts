/**
 * Parser threads. Every format but plain text is parsed in a worker thread with a heap cap, which
 * is terminated at `content.max_document_ms` or when the task is cancelled: a pathological document
 * (deeply nested HTML, a huge DOCX body, a PDF's page tree) costs at most that time and memory,
 * and never blocks the event loop, where the worker's commits, probes and HTTP endpoints run
 * (issue 10, item 7). A cooperative deadline would not do: parse5, mammoth's XML reader and
 * markdown-it each take a whole document in one synchronous call.
 *
 * A thread that finished its parse is kept for the next one (starting a thread and loading a
 * parser costs ~100 ms, more than parsing a page of Markdown); an idle thread never keeps the
 * process alive and ends after IDLE_MS. At most `size` threads exist; more documents wait for
 * one, and a document's time limit starts when its own parse does. The pool is module state in
 * index.ts, not wired from main.ts: its threads are interchangeable and hold nothing to close.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { VectorizeError, toVectorizeError, type ErrorCode } from '../worker/errors.ts'
import type {
  DocumentFormat,
  DocumentLimits,
  ParseInput,
  ParseJob,
  ParsedDocument,
} from './document.ts'
import { documentTooLarge, invalidDocument } from './errors.ts'

/** Heap of a parser thread: pdfjs, mammoth and parse5 need well under this for ordinary documents. */
export const PARSE_THREAD_HEAP_MB = 1024
const IDLE_MS = 30_000

export type ThreadedFormat = Exclude<DocumentFormat, 'txt'>
export type ThreadJob = Omit<ParseJob, 'bytes'> & { format: ThreadedFormat; bytes: Uint8Array }
export type Reply =
  | { ok: true; value: ParsedDocument }
  | {
      ok: false
      error: {
        code: ErrorCode
        message: string
        details: Readonly<Record<string, unknown>>
      }
    }

/** thread.js next to this file once compiled, thread.ts when run from source. */
const threadUrl = new URL(`./thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

export class ParseThreads {
  readonly #size: number
  /** Idle threads and the timers that end them. */
  readonly #idle = new Map<Worker, NodeJS.Timeout>()
  readonly #waiting: ((worker: Worker) => void)[] = []
  #busy = 0

  constructor(size: number) {
    this.#size = Math.max(1, size)
  }

  async parse(format: ThreadedFormat, input: ParseInput): Promise<ParsedDocument> {
    input.signal.throwIfAborted()
    const worker = await this.#acquire(format, input.signal)
    if (input.signal.aborted) {
      this.#handOn(worker)
      throw cancelled(format)
    }
    let reply: Reply
    try {
      reply = await runJob(worker, threadJob(format, input), input.signal)
    } catch (err) {
      void worker.terminate()
      this.#handOn(undefined)
      throw err
    }
    this.#handOn(worker)
    if (reply.ok) return reply.value
    throw new VectorizeError(reply.error.code, reply.error.message, {
      details: reply.error.details,
    })
  }

  #acquire(format: string, signal: AbortSignal): Promise<Worker> {
    if (this.#busy < this.#size) {
      this.#busy++
      return Promise.resolve(this.#takeIdle() ?? this.#spawn())
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(take), 1)
        reject(cancelled(format))
      }
      const take = (worker: Worker) => {
        signal.removeEventListener('abort', onAbort)
        resolve(worker)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(take)
    })
  }

  /** The next waiting parse gets this thread (a fresh one if it was terminated), else it idles. */
  #handOn(worker: Worker | undefined): void {
    const next = this.#waiting.shift()
    if (next) return next(worker ?? this.#spawn())
    this.#busy--
    if (!worker) return
    worker.unref()
    const end = setTimeout(() => void worker.terminate(), IDLE_MS).unref()
    this.#idle.set(worker, end)
  }

  #takeIdle(): Worker | undefined {
    const [worker, end] = this.#idle.entries().next().value ?? []
    if (!worker) return undefined
    clearTimeout(end)
    this.#idle.delete(worker)
    worker.ref()
    return worker
  }

  #spawn(): Worker {
    const worker = new Worker(threadUrl, {
      name: 'vectorize-parser',
      resourceLimits: { maxOldGenerationSizeMb: PARSE_THREAD_HEAP_MB },
    })
    // A thread that fails while idle just leaves the pool; a parse's own listeners report theirs.
    worker.on('error', () => undefined)
    worker.once('exit', () => {
      clearTimeout(this.#idle.get(worker))
      this.#idle.delete(worker)
    })
    return worker
  }
}

/** Resolves with the thread's reply; rejects when the thread must go: time, cancel or a crash. */
function runJob(worker: Worker, job: ThreadJob, signal: AbortSignal): Promise<Reply> {
  const { format, origin } = job
  const limit = job.limits.max_document_ms
  return new Promise<Reply>((resolve, reject) => {
    const settle = (fn: () => void) => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      worker.off('message', onMessage).off('error', onError).off('exit', onExit)
      fn()
    }
    const timer = setTimeout(() => {
      const what = `took longer than content.max_document_ms (${limit}) to parse`
      settle(() => reject(documentTooLarge(format, origin, what, { limit: 'max_document_ms' })))
    }, limit)
    const onAbort = () => settle(() => reject(cancelled(format)))
    const onMessage = (reply: Reply) => settle(() => resolve(reply))
    const onError = (err: Error & { code?: string }) =>
      settle(() => reject(threadError(err, format, origin)))
    const onExit = (code: number) =>
      settle(() => reject(invalidDocument(format, origin, `parser thread exited (${code})`)))
    signal.addEventListener('abort', onAbort, { once: true })
    worker.on('message', onMessage).on('error', onError).on('exit', onExit)
    try {
      worker.postMessage(job, [job.bytes.buffer as ArrayBuffer])
    } catch (err) {
      settle(() => reject(toVectorizeError(err)))
    }
  })
}

/** A copy of the bytes (moved to the thread, not cloned) and only the limits a parser reads. */
function threadJob(format: ThreadedFormat, input: ParseInput): ThreadJob {
  const l = input.limits
  const limits: DocumentLimits = {
    max_pdf_pages: l.max_pdf_pages,
    max_document_ms: l.max_document_ms,
    max_zip_entries: l.max_zip_entries,
    max_zip_bytes: l.max_zip_bytes,
    max_zip_ratio: l.max_zip_ratio,
    max_metadata_bytes: l.max_metadata_bytes,
  }
  const bytes = new Uint8Array(input.bytes)
  return {
    format,
    bytes,
    origin: input.origin,
    limits,
    ...(input.fields && { fields: input.fields }),
  }
}

function cancelled(format: string): VectorizeError {
  return new VectorizeError('cancelled', `${format} parsing was cancelled`)
}

function threadError(err: Error & { code?: string }, format: string, origin: string) {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return documentTooLarge(
      format,
      origin,
      `needed more than ${PARSE_THREAD_HEAP_MB} MB to parse`,
      {
        limit: 'memory',
      },
    )
  return invalidDocument(format, origin, 'could not be parsed', err)
}
