/** Seeded benchmark data for the store benchmarks, so runs and stores compare on the same vectors. */
import type { VectorRecord } from '../../src/stores/store.ts'

/** mulberry32: a seeded generator so runs compare. */
export function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Random vectors of `dims` in [-1, 1), from one seeded stream. */
export function vectors(dims: number, seed = 42): () => Float32Array {
  const next = seeded(seed)
  return () => Float32Array.from({ length: dims }, () => next() * 2 - 1)
}

/** `rows` records: 10 chunks per document, metadata with a string, a number and a boolean. */
export function benchRecords(rows: number, vector: () => Float32Array): VectorRecord[] {
  return Array.from({ length: rows }, (_, i) => ({
    id: `id-${i}`,
    vector: vector(),
    taskId: 'bench',
    documentId: `doc-${Math.floor(i / 10)}`,
    chunkIndex: i % 10,
    text: `chunk ${i} of a benchmark document`,
    metadata: { lang: ['en', 'fr', 'de'][i % 3], n: i, ok: i % 2 === 0 },
  }))
}
