/**
 * The Collections view: every collection of the configured store, and search in one with the
 * model its vectors were made with (as `vectorize search`). Image hits get a thumbnail when their
 * source is one the workers may read (the same `content` guards: allowed roots, URL settings).
 */
import type { ContentLimits, ContentSource } from '../content/content.ts'
import type { Embedder } from '../models/embedder.ts'
import type { CollectionInfo, SearchHit, VectorStore } from '../stores/store.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { CollectionsView, SearchHitView } from './api-types.ts'
import type { CollectionsReader } from './api.ts'

export interface CollectionsParts {
  /** Opened on first use. */
  readonly store: () => Promise<VectorStore>
  /** The embedder of `model` with weights `dtype` (a collection's identity is `model@dtype`). */
  readonly embedder: (model: string, dtype: string, signal: AbortSignal) => Promise<Embedder>
  readonly content: ContentLimits
  readonly readContent: (source: ContentSource, limits: ContentLimits) => Promise<{ bytes: Buffer }>
  readonly thumbnail: (bytes: Buffer, maxPixels: number) => Promise<string>
}

export class StoreCollections implements CollectionsReader {
  readonly #parts: CollectionsParts

  constructor(parts: CollectionsParts) {
    this.#parts = parts
  }

  async list(signal: AbortSignal): Promise<CollectionsView> {
    const store = await this.#parts.store()
    const collections = await store.collections({ signal })
    return {
      store: store.kind,
      collections: collections
        .map(({ name, count, dimensions, distance, model }) => ({
          name,
          count,
          dimensions,
          distance,
          model,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }
  }

  async search(
    name: string,
    text: string,
    k: number,
    signal: AbortSignal,
  ): Promise<SearchHitView[]> {
    const store = await this.#parts.store()
    const info = find(await store.collections({ signal }), name)
    const [model, dtype] = splitIdentity(info.model)
    const embedder = await this.#parts.embedder(model, dtype, signal)
    const [query] = await embedder.embed([text], { signal })
    const hits = await store.search(name, { vector: query!.vector, k }, { signal })
    return Promise.all(hits.map((hit) => this.#withThumbnail(hit)))
  }

  async #withThumbnail(hit: SearchHit): Promise<SearchHitView> {
    const source = hit.metadata.source
    if (
      typeof source !== 'string' ||
      hit.metadata.image_format === undefined ||
      source === 'base64'
    ) {
      return hit
    }
    const { content } = this.#parts
    const from: ContentSource = /^https?:\/\//.test(source) ? { url: source } : { path: source }
    try {
      const { bytes } = await this.#parts.readContent(from, content)
      return { ...hit, thumbnail: await this.#parts.thumbnail(bytes, content.max_image_pixels) }
    } catch {
      return hit // not readable under the content guards, or not an image any more
    }
  }
}

function find(collections: readonly CollectionInfo[], name: string): CollectionInfo {
  const info = collections.find((c) => c.name === name)
  if (info) return info
  throw new VectorizeError('not_found', `collection ${name} does not exist`)
}

/** `name@dtype` → [name, dtype]; names may contain @ themselves, the dtype is after the last. */
export function splitIdentity(identity: string): [string, string] {
  const at = identity.lastIndexOf('@')
  return at > 0 ? [identity.slice(0, at), identity.slice(at + 1)] : [identity, 'fp32']
}
