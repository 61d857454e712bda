/**
 * Entry of the inference thread. Everything CPU-heavy — tokenizing, building tensors, ONNX
 * Runtime, pooling — happens here, so the main thread's timers, heartbeats and I/O keep running
 * during long batches (transformers.js#613; tulios/kafkajs#1052).
 */
import { parentPort } from 'node:worker_threads'
import { EmbedQueue, type Reply } from './embed-queue.ts'
import { loadTextModel } from './runner.ts'
import type {
  BatchEvent,
  EmbedOutput,
  LoadSpec,
  ThreadMessage,
  ThreadRequest,
} from './thread-protocol.ts'

const port = parentPort
if (!port) throw new Error('models/thread.ts must run in a worker thread')

const queues = new Map<string, EmbedQueue>()
const unloaders = new Map<string, () => Promise<void>>()
/** SIGHUP may change the batch token budget after models were loaded. */
let maxBatchTokens: number | undefined
/** Test hook only: see QueueOptions.hang. */
const hang = process.env.VECTORIZE_TEST_HOOK_HANG_INFERENCE === '1'

const send = (message: ThreadMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)
const onBatch = (event: BatchEvent) => send(event)

const reply: Reply = (id, result) => {
  if (!result.ok) return send({ id, ok: false, error: result.error })
  const out: EmbedOutput = result.value
  send({ id, ok: true, value: out }, [
    out.vectors.buffer as ArrayBuffer,
    out.inputTokens.buffer as ArrayBuffer,
    out.truncated.buffer as ArrayBuffer,
  ])
}

async function load(id: number, spec: LoadSpec): Promise<void> {
  try {
    const model = await loadTextModel(spec)
    const options = {
      key: spec.key,
      maxBatchTokens: maxBatchTokens ?? spec.maxBatchTokens,
      maxBatchWaitMs: spec.maxBatchWaitMs,
      onBatch,
      hang,
    }
    queues.set(spec.key, new EmbedQueue(model, options, reply))
    unloaders.set(spec.key, () => model.dispose())
    send({ id, ok: true, value: model.info })
  } catch (err) {
    const message = (err as Error)?.message ?? String(err)
    send({ id, ok: false, error: { code: 'model_load_failed', message, retriable: false } })
  }
}

async function unload(id: number, key: string): Promise<void> {
  queues.get(key)?.close()
  queues.delete(key)
  await unloaders.get(key)?.()
  unloaders.delete(key)
  send({ id, ok: true, value: null })
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
          error: {
            code: 'inference_failed',
            message: `model ${request.key} is not loaded`,
            retriable: true,
          },
        })
      break
    }
    case 'unload':
      void unload(request.id, request.key)
      break
    case 'cancel':
      for (const queue of queues.values()) queue.cancel(request.id)
      break
    case 'configure':
      maxBatchTokens = request.maxBatchTokens
      for (const queue of queues.values()) queue.setMaxBatchTokens(request.maxBatchTokens)
      send({ id: request.id, ok: true, value: null })
      break
  }
})
