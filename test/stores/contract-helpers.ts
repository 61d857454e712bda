/** Shared helpers of the VectorStore contract suite (contract.ts) and adapter-specific tests. */
import * as assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { VectorizeError, type ErrorCode } from '../../src/worker/errors.ts'
import type {
  CollectionSpec,
  FilterCondition,
  SearchHit,
  VectorRecord,
  VectorStore,
} from '../../src/stores/store.ts'

/** What an adapter's test file hands the suite: a fresh store and how to dispose of it. */
export interface StoreHandle {
  readonly store: VectorStore
  cleanup(): Promise<void>
}

/** The store of the running test, with shortcuts; `store` changes from one test to the next. */
export interface ContractContext {
  readonly store: VectorStore
  /** Creates a collection with a random name (see `spec`). */
  collection(overrides?: Partial<CollectionSpec>): Promise<CollectionSpec>
  search(
    name: string,
    vector: number[],
    k: number,
    filter?: FilterCondition[],
  ): Promise<SearchHit[]>
}

export const opts = { signal: new AbortController().signal }

/** A fresh collection name: a letter, then random hex, so runs never collide. */
export function collectionName(): string {
  return `Vt${randomBytes(6).toString('hex')}`
}

export function spec(overrides: Partial<CollectionSpec> = {}): CollectionSpec {
  return {
    name: collectionName(),
    dimensions: 4,
    distance: 'cosine',
    model: 'test@fp32',
    ...overrides,
  }
}

export function record(
  id: string,
  vector: number[],
  extra: Partial<VectorRecord> = {},
): VectorRecord {
  return {
    id,
    vector: new Float32Array(vector),
    taskId: 'task-1',
    documentId: `doc-${id}`,
    chunkIndex: 0,
    text: `text of ${id}`,
    metadata: {},
    ...extra,
  }
}

/** Asserts a rejection with a VectorizeError of `code` whose message contains every part. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  ...parts: string[]
): Promise<VectorizeError> {
  const err = await promise.then(
    () => assert.fail(`expected a ${code} error`),
    (e: unknown) => e,
  )
  assert.ok(err instanceof VectorizeError, `expected a VectorizeError, got ${String(err)}`)
  assert.equal(err.code, code, err.message)
  for (const part of parts) {
    assert.ok(err.message.includes(part), `"${err.message}" lacks "${part}"`)
  }
  return err
}

/** Metadata may come back with a null prototype; compare it as JSON. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown
}

export function ids(hits: readonly { readonly id: string }[]): string[] {
  return hits.map((h) => h.id)
}

export function approx(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-5, `${what}: ${actual} is not ≈ ${expected}`)
}
