/**
 * Test doubles for the real CLI, put in at the composition root (main.ts `PartsDecorator`) by
 * `vectorize-doubles.ts` rather than read from the environment by production code: a task that
 * kills its worker process, a task that leaves a rejection unhandled, a task held at one of its
 * steps until its signal aborts (a task timeout or a shutdown landing exactly there).
 */
import type { PartsDecorator } from '../../src/main.ts'
import type { Embedder, ModelManager } from '../../src/models/embedder.ts'
import type { TaskType } from '../../src/protocol/task.ts'
import type { VectorStore } from '../../src/stores/store.ts'
import { tasks as builtIn } from '../../src/tasks/index.ts'
import type { TaskContext, TaskHandler, TaskRegistry } from '../../src/tasks/task.ts'

/** Where a held task waits: its Nth embedding request, or its Nth store write (N from 0). */
export interface Hold {
  readonly step: 'embed' | 'write'
  readonly slice: number
}

export interface DoublesSpec {
  /** A task whose id contains this kills its worker with SIGKILL as it starts (a native crash, an OOM kill). */
  readonly crashOnTask?: string
  /** A task whose id contains this rejects a promise nobody handles as it starts (a bug somewhere). */
  readonly unhandledOnTask?: string
  /** Tasks (by id) held at these steps until their signal aborts; the real steps run meanwhile. */
  readonly hold?: Readonly<Record<string, readonly Hold[]>>
}

export function decorateWith(spec: DoublesSpec): PartsDecorator {
  return (parts) => ({ ...parts, tasks: wrapTasks(parts.tasks ?? builtIn, spec) })
}

function wrapTasks(registry: TaskRegistry, spec: DoublesSpec): TaskRegistry {
  const wrap = <T extends TaskType>(handler: TaskHandler<T>): TaskHandler<T> => ({
    type: handler.type,
    run: (task, ctx) => {
      const id = task.task_id
      if (spec.crashOnTask && id.includes(spec.crashOnTask)) process.kill(process.pid, 'SIGKILL')
      if (spec.unhandledOnTask && id.includes(spec.unhandledOnTask))
        void Promise.reject(new Error(`task ${id} left this rejection unhandled on purpose`))
      const hold = spec.hold?.[id]
      return handler.run(task, hold ? holding(ctx, hold) : ctx)
    },
  })
  return {
    text: wrap(registry.text),
    batch: wrap(registry.batch),
    image: wrap(registry.image),
    document: wrap(registry.document),
  }
}

function holding(ctx: TaskContext, holds: readonly Hold[]): TaskContext {
  let embeds = 0
  let writes = 0
  const held = (step: Hold['step'], n: number) =>
    holds.some((h) => h.step === step && h.slice === n)
  const models: ModelManager = {
    get: async (name, opts) => {
      const embedder = await ctx.models.get(name, opts)
      const embed: Embedder['embed'] = (texts, o) =>
        held('embed', embeds++)
          ? heldUntilAbort(embedder.embed(texts, o), o.signal)
          : embedder.embed(texts, o)
      return { ...embedder, embed }
    },
    loaded: () => ctx.models.loaded(),
    close: () => ctx.models.close(),
  }
  const store = override(ctx.store, {
    upsert: (collection, records, o) => {
      const write = ctx.store.upsert(collection, records, o)
      return held('write', writes++) ? heldUntilAbort(write, o.signal) : write
    },
  })
  return { ...ctx, models, store }
}

/** Lets `work` run (and finish), but answers only when `signal` aborts, with its reason. */
async function heldUntilAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined)
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
  throw signal.reason
}

/** The store with some methods replaced; the others bound to it (adapters keep #private state). */
function override(store: VectorStore, methods: Partial<VectorStore>): VectorStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key in methods) return methods[key as keyof VectorStore]
      const value: unknown = Reflect.get(target, key, receiver)
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value
    },
  })
}
