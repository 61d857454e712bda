/** Task files and readers for the real-model tier: the same texts as text, batch and document tasks. */
import { connect } from '@lancedb/lancedb'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ResultMessage } from '../../src/protocol/report.ts'

export const BATCH_SIZE = 64

/** One text task per text (`t-<i>`), batch tasks of 64 (`b-<i>`), one document per text (`d-<i>`). */
export function referenceTasks(texts: readonly string[]): string[] {
  const lines: string[] = []
  texts.forEach((text, i) =>
    lines.push(
      JSON.stringify({
        task_id: `text-${i}`,
        type: 'text',
        collection: 'ref_text',
        id: `t-${i}`,
        text,
      }),
    ),
  )
  for (let from = 0; from < texts.length; from += BATCH_SIZE) {
    const items = texts
      .slice(from, from + BATCH_SIZE)
      .map((text, k) => ({ id: `b-${from + k}`, text }))
    lines.push(
      JSON.stringify({ task_id: `batch-${from}`, type: 'batch', collection: 'ref_batch', items }),
    )
  }
  texts.forEach((text, i) =>
    lines.push(
      JSON.stringify({
        task_id: `document-${i}`,
        type: 'document',
        collection: 'ref_document',
        document: { id: `d-${i}`, format: 'txt', content: text },
        // one chunk holding the whole text, so long texts are truncated as sentence-transformers does
        chunking: { strategy: 'paragraphs', size: 1_000_000 },
      }),
    ),
  )
  return lines
}

/** The sample corpus (what `npm start` searches) as text tasks into collection `samples`. */
export async function corpusTasks(file: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '')
  return lines.map((line) => {
    const item = JSON.parse(line) as { id: string; text: string; metadata: Record<string, unknown> }
    const task = { task_id: `corpus-${item.id}`, type: 'text', collection: 'samples', ...item }
    return JSON.stringify(task)
  })
}

/** The last result record of each task in the local queue's status.log. */
export async function resultsOf(queueDir: string): Promise<Map<string, ResultMessage>> {
  const results = new Map<string, ResultMessage>()
  for (const line of (await readFile(join(queueDir, 'status.log'), 'utf8')).split('\n')) {
    if (!line.trim()) continue
    const record = JSON.parse(line) as { task_id: string; result?: ResultMessage }
    if (record.result) results.set(record.task_id, record.result)
  }
  return results
}

/** document id → vector of every row of a LanceDB collection. */
export async function storedVectors(
  lancedbPath: string,
  collection: string,
): Promise<Map<string, Float32Array>> {
  const db = await connect(lancedbPath)
  try {
    const table = await db.openTable(collection)
    try {
      const rows = (await table.query().select(['document_id', 'vector']).toArray()) as {
        document_id: string
        vector: { toArray(): Float32Array }
      }[]
      return new Map(rows.map((r) => [r.document_id, Float32Array.from(r.vector.toArray())]))
    } finally {
      table.close()
    }
  } finally {
    db.close()
  }
}
