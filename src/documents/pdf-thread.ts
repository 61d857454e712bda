/**
 * Entry of the PDF thread: parses one PDF (pdf.ts) and posts the result or the error back.
 * A thread of its own so that the parse can be killed on time or memory (pdf-parser.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { toVectorizeError } from '../worker/errors.ts'
import type { ParseInput } from './document.ts'
import { extractPdf } from './pdf.ts'

const port = parentPort
if (!port) throw new Error('documents/pdf-thread.ts must run in a worker thread')

try {
  const value = await extractPdf(workerData as Omit<ParseInput, 'signal'>)
  port.postMessage({ ok: true, value })
} catch (err) {
  const e = toVectorizeError(err)
  port.postMessage({ ok: false, error: { code: e.code, message: e.message, details: e.details } })
}
