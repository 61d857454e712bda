/**
 * Entry of the inference thread. Everything CPU-heavy — tokenizing, building tensors, ONNX
 * Runtime, pooling — happens here, so the main thread's timers, heartbeats and I/O keep running
 * during long batches (transformers.js#613; tulios/kafkajs#1052).
 */
import { parentPort } from 'node:worker_threads'
import { EmbedQueue, type Reply } from './embed-queue.ts'
import { loadTextModel, type TextModel } from './runner.ts'
import type { DecodedImage } from './embedder.ts'
import type {
  BatchEvent,
  EmbedOutput,
  ImageOutput,
  LoadSpec,
  ThreadMessage,
  ThreadRequest,
  ThreadResponse,
} from './thread-protocol.ts'
import { loadVisionModel, type VisionModel } from './vision.ts'

const port = parentPort
if (!port) throw new Error('models/thread.ts must run in a worker thread')

const queues = new Map<string, EmbedQueue>()
const models = new Map<string, TextModel>()
const unloaders = new Map<string, () => Promise<void>>()
/** SIGHUP may change the batch token budget after models were loaded. */
let maxBatchTokens: number | undefined
/** Test hook only: see QueueOptions.hang. */
const hang = process.env.VECTORIZE_TEST_HOOK_HANG_INFERENCE === '1'
const specs = new Map<string, LoadSpec>()
const visions = new Map<string, Promise<VisionModel>>()

const send = (message: ThreadMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)
const onBatch = (event: BatchEvent) => send(event)
const onRunning = (ids: readonly number[]) => send({ event: 'running', ids })

/**
 * Replies of one batch go out as one message: the tasks a batch finished resume together on the
 * main thread (one store write for all of them) and 64 one-text tasks cost one message, not 64.
 */
let outbox: { message: ThreadResponse; transfer: ArrayBuffer[] }[] = []

const reply: Reply = (id, result) => {
  if (outbox.length === 0) queueMicrotask(sendReplies)
  if (!result.ok)
    return void outbox.push({ message: { id, ok: false, error: result.error }, transfer: [] })
  const out: EmbedOutput = result.value
  outbox.push({
    message: { id, ok: true, value: out },
    transfer: [
      out.vectors.buffer as ArrayBuffer,
      out.inputTokens.buffer as ArrayBuffer,
      out.truncated.buffer as ArrayBuffer,
    ],
  })
}

function sendReplies(): void {
  const replies = outbox
  outbox = []
  if (replies.length === 1) return send(replies[0]!.message, replies[0]!.transfer)
  send(
    { replies: replies.map((r) => r.message) },
    replies.flatMap((r) => r.transfer),
  )
}

async function load(id: number, spec: LoadSpec): Promise<void> {
  try {
    const model = await loadTextModel(spec)
    const options = {
      key: spec.key,
      maxBatchTokens: maxBatchTokens ?? spec.maxBatchTokens,
      maxBatchWaitMs: spec.maxBatchWaitMs,
      onBatch,
      onRunning,
      hang,
    }
    queues.set(spec.key, new EmbedQueue(model, options, reply))
    unloaders.set(spec.key, () => model.dispose())
    models.set(spec.key, model)
    specs.set(spec.key, spec)
    send({ id, ok: true, value: model.info })
  } catch (err) {
    const message = (err as Error)?.message ?? String(err)
    send({ id, ok: false, error: { code: 'model_load_failed', message } })
  }
}

async function unload(id: number, key: string): Promise<void> {
  queues.get(key)?.close()
  queues.delete(key)
  models.delete(key)
  await unloaders.get(key)?.()
  unloaders.delete(key)
  specs.delete(key)
  const vision = visions.get(key)
  visions.delete(key)
  await vision?.then((v) => v.dispose()).catch(() => undefined)
  send({ id, ok: true, value: null })
}

/** Token counts (special tokens included, before truncation) for document chunking; no inference. */
function countTokens(id: number, key: string, texts: readonly string[]): void {
  const model = models.get(key)
  if (!model) {
    // not loaded: the thread restarted since; the request is retried once the model reloads
    return send({
      id,
      ok: false,
      error: { code: 'inference_failed', message: `model ${key} is not loaded` },
    })
  }
  const counts = Int32Array.from(model.tokenize(texts), (t) => t.inputTokens)
  send({ id, ok: true, value: counts }, [counts.buffer])
}

/** CLIP image requests run as they come (no token budget to batch by); the tower loads on first use. */
async function embedImages(id: number, key: string, images: readonly DecodedImage[]) {
  const spec = specs.get(key)
  if (!spec || spec.family !== 'clip') {
    const message = spec ? `model ${key} has no image tower` : `model ${key} is not loaded`
    const code = spec ? 'unknown_model' : 'inference_failed'
    return send({ id, ok: false, error: { code, message } })
  }
  let vision = visions.get(key)
  if (!vision) {
    vision = loadVisionModel(spec)
    visions.set(key, vision)
    vision.catch(() => visions.delete(key))
  }
  try {
    const vectors = await (await vision).run(images)
    const dimensions = vectors[0]?.length ?? 0
    const flat = new Float32Array(vectors.length * dimensions)
    vectors.forEach((v, i) => flat.set(v, i * dimensions))
    const value: ImageOutput = { vectors: flat, dimensions }
    send({ id, ok: true, value }, [flat.buffer])
  } catch (err) {
    const message = `image inference failed: ${(err as Error)?.message ?? String(err)}`
    send({ id, ok: false, error: { code: 'inference_rejected', message } })
  }
}

port.on('message', (request: ThreadRequest) => {
  switch (request.op) {
    case 'load':
      void load(request.id, request.spec)
      break
    case 'embed': {
      const queue = queues.get(request.key)
      if (queue) queue.add(request.id, request.texts)
      else
        send({
          id: request.id,
          ok: false,
          error: { code: 'inference_failed', message: `model ${request.key} is not loaded` },
        })
      break
    }
    case 'embedImages':
      void embedImages(request.id, request.key, request.images)
      break
    case 'countTokens':
      countTokens(request.id, request.key, request.texts)
      break
    case 'unload':
      void unload(request.id, request.key)
      break
    case 'cancel':
      for (const queue of queues.values()) queue.cancel(request.id)
      break
    case 'exit':
      // This handler runs only when no synchronous ONNX run is in progress (the run blocks this
      // thread's event loop), so stopping here can never interrupt one; see InferenceThread.close.
      process.exit(0)
      break
    case 'configure':
      maxBatchTokens = request.maxBatchTokens
      for (const queue of queues.values()) queue.setMaxBatchTokens(request.maxBatchTokens)
      send({ id: request.id, ok: true, value: null })
      break
  }
})
