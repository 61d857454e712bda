/** Argument checks shared by the store adapters: everything here throws before a store is touched. */
import { VectorizeError } from '../worker/errors.ts'
import { distances, type CollectionSpec, type SearchQuery } from './store.ts'

/** Same rule as the protocol's collectionName (protocol/task.ts); names are case-sensitive. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/

function rejected(message: string, details: Record<string, unknown> = {}): VectorizeError {
  return new VectorizeError('store_rejected', message, { details })
}

export function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw rejected(
      `collection name ${JSON.stringify(name)} is invalid: letters, digits and _, starting with a letter, at most 63`,
    )
  }
}

/** The arguments of `deleteDocument`. */
export function checkDelete(collection: string, fromChunk: number): void {
  checkName(collection)
  if (!Number.isInteger(fromChunk) || fromChunk < 0) {
    throw rejected(`fromChunk ${fromChunk} is not an integer >= 0`)
  }
}

export function checkSpec(spec: CollectionSpec): void {
  checkName(spec.name)
  if (!Number.isInteger(spec.dimensions) || spec.dimensions < 1) {
    throw rejected(
      `collection ${spec.name}: dimensions ${spec.dimensions} is not a positive integer`,
    )
  }
  if (!distances.includes(spec.distance)) {
    throw rejected(
      `collection ${spec.name}: distance ${String(spec.distance)} is not one of ${distances.join(', ')}`,
    )
  }
  if (typeof spec.model !== 'string' || spec.model === '') {
    throw rejected(`collection ${spec.name}: model identity must be a non-empty name@dtype`)
  }
}

/** Throws unless a collection that exists (`existing`) was created with the requested spec. */
export function compareSpecs(existing: CollectionSpec, requested: CollectionSpec): void {
  const name = existing.name
  const details = { collection: name }
  if (existing.dimensions !== requested.dimensions) {
    throw new VectorizeError(
      'dimension_mismatch',
      `collection ${name} has ${existing.dimensions} dimensions, requested ${requested.dimensions}`,
      { details: { ...details, existing: existing.dimensions, requested: requested.dimensions } },
    )
  }
  if (existing.model !== requested.model) {
    throw new VectorizeError(
      'model_mismatch',
      `collection ${name} holds vectors of model ${existing.model}, requested ${requested.model}`,
      { details: { ...details, existing: existing.model, requested: requested.model } },
    )
  }
  // The contract has no distance_mismatch code; a different distance is a request the store
  // refuses, since scores of two metrics cannot be mixed in one collection.
  if (existing.distance !== requested.distance) {
    throw rejected(
      `collection ${name} uses ${existing.distance} distance, requested ${requested.distance}`,
      { ...details, existing: existing.distance, requested: requested.distance },
    )
  }
}

export function checkQuery(spec: CollectionSpec, query: SearchQuery): void {
  const { name } = spec
  if (!Number.isInteger(query.k) || query.k < 1) {
    throw rejected(`search ${name}: k ${query.k} is not a positive integer`)
  }
  if (query.vector.length !== spec.dimensions) {
    throw new VectorizeError(
      'dimension_mismatch',
      `collection ${name} has ${spec.dimensions} dimensions, query vector has ${query.vector.length}`,
      { details: { collection: name, existing: spec.dimensions, requested: query.vector.length } },
    )
  }
  if (!query.vector.every(Number.isFinite)) {
    throw rejected(`search ${name}: query vector contains a non-finite value`)
  }
  if (spec.distance === 'cosine' && query.vector.every((v) => v === 0)) {
    throw rejected(`search ${name}: a zero query vector has no cosine similarity`)
  }
}

/** The arguments of `fetch`: a valid name and a list of string ids. */
export function checkFetch(collection: string, ids: readonly string[]): void {
  checkName(collection)
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw rejected(`fetch ${collection}: ids must be a list of strings`)
  }
}
