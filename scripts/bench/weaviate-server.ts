/**
 * The Weaviate server a benchmark writes to, as the machine sees it: its process (to read the
 * CPU-seconds it spends) and the files the Python client's runs read (the class and the objects,
 * exactly as vectorize writes them).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CollectionSpec, VectorRecord } from '../../src/stores/store.ts'
import {
  classDefinition,
  fieldDefinition,
  indexedFields,
} from '../../src/stores/weaviate-schema.ts'
import { objectId, toProperties } from '../../src/stores/weaviate-schema.ts'

/**
 * The pid of the server listening on `port`: VECTORIZE_BENCH_WEAVIATE_PID, or the process whose
 * command line names weaviate and `--port <port>` (how scripts/services.sh starts it).
 */
export function weaviatePid(port: number): number | undefined {
  const given = Number(process.env.VECTORIZE_BENCH_WEAVIATE_PID)
  if (Number.isInteger(given) && given > 0) return given
  let names: string[]
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n))
  } catch {
    return undefined // not Linux
  }
  for (const name of names) {
    let args: string[]
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')
    } catch {
      continue // gone meanwhile
    }
    const at = args.indexOf('--port')
    if (args[0]?.includes('weaviate') && at > 0 && args[at + 1] === String(port)) {
      return Number(name)
    }
  }
  return undefined
}

/**
 * Writes what a Python run reads into `dir`: schema.json (vectorize's class for `spec`, named
 * `cls`, with the metadata properties it adds on first write already in it), objects.jsonl (UUID
 * and properties per record) and vectors.f32 (this machine's float32, one row per record).
 */
export async function writePythonInputs(
  dir: string,
  cls: string,
  spec: CollectionSpec,
  records: readonly VectorRecord[],
) {
  const definition = classDefinition(spec)
  const fields = new Map<string, ReturnType<typeof fieldDefinition>>()
  for (const r of records) {
    for (const [f, t] of indexedFields(r.metadata ?? {})) {
      const def = fieldDefinition(f, t)
      fields.set(def.name, def)
    }
  }
  const extra = [...fields.values()].map((p) => ({ ...p, dataType: [p.dataType] }))
  const schema = { ...definition, class: cls, properties: [...definition.properties, ...extra] }
  const lines = records.map((r) =>
    JSON.stringify({ id: objectId(r.id), properties: toProperties(r) }),
  )
  const vectors = new Float32Array(records.length * spec.dimensions)
  records.forEach((r, i) => vectors.set(r.vector, i * spec.dimensions))
  const paths = {
    schema: join(dir, 'schema.json'),
    objects: join(dir, 'objects.jsonl'),
    vectors: join(dir, 'vectors.f32'),
  }
  await writeFile(paths.schema, JSON.stringify(schema))
  await writeFile(paths.objects, lines.join('\n') + '\n')
  await writeFile(paths.vectors, Buffer.from(vectors.buffer))
  return paths
}
