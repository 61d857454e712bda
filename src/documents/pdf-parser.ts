/**
 * The PDF parser: runs pdf.ts in a thread of its own, with a heap cap, and terminates it at
 * `content.max_document_ms` or when the task is cancelled, so a pathological PDF (huge page
 * trees, deep object nesting) costs at most that time and memory, and never blocks the event loop.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { VectorizeError, type ErrorCode } from '../worker/errors.ts'
import type { DocumentParser, ParseInput, ParsedDocument } from './document.ts'
import { documentTooLarge, invalidDocument } from './errors.ts'

/** Heap of the PDF thread: pdfjs needs well under this for ordinary documents of many pages. */
export const PDF_THREAD_HEAP_MB = 1024

/** pdf-thread.js next to this file once compiled, pdf-thread.ts when run from source. */
const threadUrl = new URL(`./pdf-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

type Reply =
  | { ok: true; value: ParsedDocument }
  | { ok: false; error: { code: ErrorCode; message: string; details: Record<string, unknown> } }

export const pdfParser: DocumentParser = {
  format: 'pdf',
  parse: (input) => parseInThread(input),
}

function parseInThread({ bytes, origin, limits, signal }: ParseInput): Promise<ParsedDocument> {
  signal.throwIfAborted()
  const worker = new Worker(threadUrl, {
    name: 'vectorize-pdf',
    workerData: { bytes: new Uint8Array(bytes), origin, limits },
    resourceLimits: { maxOldGenerationSizeMb: PDF_THREAD_HEAP_MB },
  })
  return new Promise<ParsedDocument>((resolve, reject) => {
    const finish = (fn: () => void) => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      void worker.terminate()
      fn()
    }
    const timer = setTimeout(() => {
      const what = `took longer than content.max_document_ms (${limits.max_document_ms}) to parse`
      const err = documentTooLarge('pdf', origin, what, { limit: 'max_document_ms' })
      finish(() => reject(err))
    }, limits.max_document_ms)
    const onAbort = () =>
      finish(() => reject(new VectorizeError('cancelled', 'PDF parsing was cancelled')))
    signal.addEventListener('abort', onAbort, { once: true })
    worker.once('message', (reply: Reply) =>
      finish(() =>
        reply.ok
          ? resolve(reply.value)
          : reject(new VectorizeError(reply.error.code, reply.error.message, reply.error)),
      ),
    )
    worker.once('error', (err: Error & { code?: string }) =>
      finish(() => reject(threadError(err, origin))),
    )
    worker.once('exit', (code) =>
      finish(() => reject(invalidDocument('pdf', origin, `parser thread exited (${code})`))),
    )
  })
}

function threadError(err: Error & { code?: string }, origin: string): VectorizeError {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return documentTooLarge('pdf', origin, `needed more than ${PDF_THREAD_HEAP_MB} MB to parse`, {
      limit: 'memory',
    })
  return invalidDocument('pdf', origin, 'could not be parsed', err)
}
