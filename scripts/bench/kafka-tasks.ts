/**
 * The backlog bench:kafka submits: texts from samples/corpus.jsonl (real sentences, 50–256
 * characters, about 30 tokens with all-MiniLM-L6-v2) taken in turn, as one-text `text` tasks (the
 * seed's main case) or as `batch` tasks of `batchItems` texts. Every item has its own id, so each
 * stored vector is one object and the stored count checks that nothing was lost or duplicated.
 */
import { readCorpus } from './workloads.ts'

export type TaskKind = 'text' | 'batch'

export interface Backlog {
  readonly kind: TaskKind
  readonly tasks: number
  /** Texts over all tasks (tasks × items per batch). */
  readonly texts: number
  /** The task messages, one JSON object per line (what `vectorize submit FILE` reads). */
  readonly jsonl: string
}

export async function backlog(
  corpusFile: string,
  collection: string,
  kind: TaskKind,
  tasks: number,
  batchItems: number,
): Promise<Backlog> {
  const corpus = await readCorpus(corpusFile)
  const text = (i: number) => corpus[i % corpus.length]!
  const perTask = kind === 'text' ? 1 : batchItems
  const lines = Array.from({ length: tasks }, (_, t) => {
    const base = { version: 1, task_id: `bench-${t}`, collection }
    if (kind === 'text')
      return JSON.stringify({ ...base, type: 'text', id: `d${t}`, text: text(t) })
    const items = Array.from({ length: perTask }, (_, j) => {
      const i = t * perTask + j
      return { id: `d${i}`, text: text(i) }
    })
    return JSON.stringify({ ...base, type: 'batch', items })
  })
  return { kind, tasks, texts: tasks * perTask, jsonl: lines.join('\n') + '\n' }
}
