/** Reads JSON Lines from a file or stdin, line by line (files of any size). */
import { createReadStream } from 'node:fs'
import { access } from 'node:fs/promises'
import { VectorizeError } from '../worker/errors.ts'
import { createInterface } from 'node:readline'

/** Non-blank lines with their 1-based numbers; blank ones too with `keepBlank`. */
export async function* readLines(
  file: string | undefined,
  { keepBlank = false }: { keepBlank?: boolean } = {},
): AsyncGenerator<{ line: number; text: string }> {
  if (file && file !== '-') {
    await access(file).catch((err: unknown) => {
      throw new VectorizeError('not_found', `cannot read ${file}: ${(err as Error).message}`, {
        cause: err,
      })
    })
  }
  const input = !file || file === '-' ? process.stdin : createReadStream(file)
  const reader = createInterface({ input, crlfDelay: Infinity })
  let line = 0
  for await (const text of reader) {
    line++
    if (keepBlank || text.trim() !== '') yield { line, text }
  }
}
