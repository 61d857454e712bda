/** A table of dead letters; with `selection`, a checkbox per pending letter. */
import type { ShownLetter } from '../../api-types.ts'
import { time } from '../format.ts'
import { href } from '../route.ts'
import { Badge } from './parts.tsx'

interface Props {
  readonly letters: readonly ShownLetter[]
  readonly selection?: ReadonlySet<string>
  readonly onToggle?: (id: string, on: boolean) => void
  readonly onOpen?: (id: string) => void
}

export function LetterTable({ letters, selection, onToggle, onOpen }: Props) {
  return (
    <div class="scroll">
      <table class="data" id="letters">
        <caption class="visually-hidden">Dead letters</caption>
        <thead>
          <tr>
            {selection && (
              <th scope="col">
                <span class="visually-hidden">select</span>
              </th>
            )}
            {[
              'id',
              'dead-lettered',
              'state',
              'code',
              'task',
              'attempts',
              'replays',
              'worker',
              'payload',
            ].map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {letters.map((l) => (
            <tr key={l.id} data-letter={l.id}>
              {selection && (
                <td>
                  {l.state === 'pending' && (
                    <input
                      type="checkbox"
                      aria-label={`select dead letter ${l.id}`}
                      checked={selection.has(l.id)}
                      onChange={(e) => onToggle?.(l.id, e.currentTarget.checked)}
                    />
                  )}
                </td>
              )}
              <th scope="row">
                {onOpen ? (
                  <button type="button" class="link" onClick={() => onOpen(l.id)}>
                    {l.id}
                  </button>
                ) : (
                  <a href={href('dead-letters', { open: l.id, state: 'all' })}>{l.id}</a>
                )}
              </th>
              <td>{time(l.at)}</td>
              <td>
                <Badge text={l.state} tone={l.state === 'pending' ? 'warn' : 'muted'} />
              </td>
              <td>
                <code>{l.error.code}</code>
              </td>
              <td>
                <a href={href('tasks', { id: l.task_id })}>{l.task_id}</a>
              </td>
              <td>{l.attempts}</td>
              <td>{l.replays > 0 ? <Badge text={`${l.replays}`} tone="bad" /> : 0}</td>
              <td>{l.worker_id}</td>
              <td class="preview">
                {l.payload.text ?? (l.payload.base64 ? `(binary, ${l.payload.bytes} bytes)` : '')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
