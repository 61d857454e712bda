/** Collections: count, dimension, distance, model; search one with its own model. */
import { useEffect, useState } from 'preact/hooks'
import type { CollectionsView as Collections, SearchHitView } from '../../api-types.ts'
import { get, query } from '../api.ts'
import { count } from '../format.ts'
import { Json, Notice } from './parts.tsx'

export function CollectionsView() {
  const [data, setData] = useState<Collections>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    get<Collections>('/api/collections').then(setData, (e: Error) => setError(e.message))
  }, [])
  return (
    <section aria-labelledby="collections-title">
      <h2 id="collections-title">Collections</h2>
      {error && <Notice kind="error">{error}</Notice>}
      {data && (
        <>
          <table class="data" id="collections">
            <caption>In the {data.store} store</caption>
            <thead>
              <tr>
                {['collection', 'vectors', 'dimensions', 'distance', 'model'].map((h) => (
                  <th scope="col" key={h}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.collections.length === 0 && (
                <tr>
                  <td colSpan={5}>No collections yet.</td>
                </tr>
              )}
              {data.collections.map((c) => (
                <tr key={c.name}>
                  <th scope="row">{c.name}</th>
                  <td>{count(c.count)}</td>
                  <td>{c.dimensions}</td>
                  <td>{c.distance}</td>
                  <td>{c.model}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.collections.length > 0 && <Search names={data.collections.map((c) => c.name)} />}
        </>
      )}
    </section>
  )
}

function Search({ names }: { names: readonly string[] }) {
  const [name, setName] = useState(names[0] ?? '')
  const [text, setText] = useState('')
  const [hits, setHits] = useState<SearchHitView[]>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      setHits(
        await get<SearchHitView[]>(
          `/api/collections/${encodeURIComponent(name)}/search${query({ q: text, k: 10 })}`,
        ),
      )
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="panel" aria-labelledby="search-title">
      <h3 id="search-title">Search</h3>
      <form class="row" onSubmit={(e) => void submit(e)}>
        <label for="search-collection">Collection</label>
        <select
          id="search-collection"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        >
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <label for="search-text">Query</label>
        <input
          id="search-text"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      <p class="hint">
        The query is embedded with the collection's own model, in the dashboard's process.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {hits && (
        <ol class="hits" id="hits">
          {hits.length === 0 && <li>No results.</li>}
          {hits.map((h) => (
            <li key={h.id}>
              {h.thumbnail && <img src={h.thumbnail} alt={`image ${h.documentId}`} width={96} />}
              <div>
                <strong>{h.score.toFixed(3)}</strong> <code>{h.documentId}</code> #{h.chunkIndex} ·
                task {h.taskId}
                <p>{h.text}</p>
                {Object.keys(h.metadata).length > 0 && (
                  <details>
                    <summary>metadata</summary>
                    <Json value={h.metadata} />
                  </details>
                )}
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
