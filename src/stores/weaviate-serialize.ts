/**
 * A synchronous serializer for weaviate-client's `data.insertMany`.
 *
 * The client's `Serialize.batchObjects` (collections/serialize; 3.12.0 to 3.14.0, and upstream main
 * as of August 2026) serialises one object per `setTimeout` tick and polls for the end every
 * 500 ms, so every insertMany idles at least half a second before it sends anything: vectorize
 * wrote 166–265 vectors/s to a Weaviate that took 700–800 from the Python client (issue 12). An
 * object that fails to serialise throws inside a timer, an uncaught exception, and the poll never
 * ends. Upstream report: docs/upstream/weaviate-insertmany.md.
 *
 * `useSyncSerializer` replaces that one static function, once per process, with one that calls the
 * client's own `Serialize.batchObject` for each object in a loop and returns the same result, so
 * the request the client then sends is unchanged. It patches only the function it recognises (the
 * 500 ms poll in its source): a client that has changed or fixed it is left as it is, and writes
 * still work, at the client's own speed. The module is not in the package's `exports`, so it is
 * imported by the path of the client's ESM entry point (which the client itself imports, so it is
 * the same module instance).
 */

/** What the client's Serialize class offers that this file relies on. */
interface SerializeClass {
  batchObject: (
    collection: string,
    object: unknown,
    requiresInsertFix: boolean,
    tenant?: string,
  ) => { grpc: unknown; object: unknown }
  batchObjects: BatchObjects
}

type BatchObjects = (
  collection: string,
  objects: readonly unknown[],
  requiresInsertFix: boolean,
  tenant?: string,
) => Promise<{ batch: unknown[]; mapped: unknown[] }>

export type SerializerState = 'patched' | 'unrecognised'

/** The client's polling function, recognised by its signature and its 500 ms poll. */
const SIGNATURE = /^\(collection, objects, requiresInsertFix, tenant\) =>/
const POLL = /setTimeout\(\(\) => poll\(resolve\), 500\)/
const PATCHED = Symbol.for('vectorize.weaviate.syncBatchObjects')

let state: Promise<SerializerState> | undefined

/** The serialize module of the weaviate-client that `import 'weaviate-client'` loads. */
async function serializeModule(): Promise<{ Serialize?: unknown }> {
  const entry = import.meta.resolve('weaviate-client')
  return (await import(new URL('./collections/serialize/index.js', entry).href)) as {
    Serialize?: unknown
  }
}

function isSerializeClass(value: unknown): value is SerializeClass {
  const s = value as Partial<SerializeClass> | undefined
  return typeof s?.batchObject === 'function' && typeof s.batchObjects === 'function'
}

function syncBatchObjects(S: SerializeClass): BatchObjects {
  const fn: BatchObjects = (collection, objects, requiresInsertFix, tenant) => {
    try {
      const mapped: unknown[] = []
      const batch: unknown[] = []
      for (const o of objects) {
        const { grpc, object } = S.batchObject(collection, o, requiresInsertFix, tenant)
        mapped.push(grpc)
        batch.push(object)
      }
      return Promise.resolve({ batch, mapped })
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }
  return Object.assign(fn, { [PATCHED]: true })
}

async function install(): Promise<SerializerState> {
  let S: unknown
  try {
    S = (await serializeModule()).Serialize
  } catch {
    return 'unrecognised' // another layout: the client's own serializer stays
  }
  if (!isSerializeClass(S)) return 'unrecognised'
  if ((S.batchObjects as unknown as Record<symbol, unknown>)[PATCHED] === true) return 'patched'
  const source = String(S.batchObjects)
  if (!SIGNATURE.test(source) || !POLL.test(source)) return 'unrecognised'
  S.batchObjects = syncBatchObjects(S)
  return 'patched'
}

/** Installs the synchronous serializer (once per process); says whether it could. */
export function useSyncSerializer(): Promise<SerializerState> {
  state ??= install()
  return state
}
