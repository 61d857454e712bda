/**
 * Entry of a parser thread (pool.ts starts them): parses one document at a time and posts the
 * result or the error back. A thread of its own so that a parse can be stopped at its time limit
 * or memory cap without the event loop ever waiting on it. A format's parser is loaded on first
 * use: a thread that only reads Markdown never loads pdfjs.
 */
import { parentPort } from 'node:worker_threads'
import { VectorizeError, toVectorizeError } from '../worker/errors.ts'
import type { ParseJob, ParsedDocument } from './document.ts'
import { invalidDocument } from './errors.ts'
import type { Reply, ThreadJob, ThreadedFormat } from './pool.ts'

type Extract = (job: ParseJob) => ParsedDocument | Promise<ParsedDocument>

const extractors: { readonly [F in ThreadedFormat]: () => Promise<Extract> } = {
  md: async () => (await import('./markdown.ts')).extractMarkdown,
  html: async () => (await import('./html.ts')).extractHtml,
  pdf: async () => (await import('./pdf.ts')).extractPdf,
  docx: async () => (await import('./docx.ts')).extractDocx,
  json: async () => (await import('./json.ts')).extractJson,
}

const port = parentPort
if (!port) throw new Error('documents/thread.ts must run in a worker thread')

port.on('message', (job: ThreadJob) => {
  void run(job).then((reply) => port.postMessage(reply))
})

async function run({ format, ...job }: ThreadJob): Promise<Reply> {
  let extract: Extract
  try {
    extract = await extractors[format]()
  } catch (err) {
    return failed(toVectorizeError(err))
  }
  try {
    const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength)
    return { ok: true, value: await extract({ ...job, bytes }) }
  } catch (err) {
    // A parser's own failure (a stack overflow on deep nesting included) is the document's.
    if (err instanceof VectorizeError) return failed(err)
    return failed(invalidDocument(format, job.origin, 'could not be parsed', err))
  }
}

function failed(e: VectorizeError): Reply {
  const error = { code: e.code, message: e.message, details: e.details }
  return { ok: false, error }
}
