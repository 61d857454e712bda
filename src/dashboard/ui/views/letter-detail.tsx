/** One dead letter: every header, the original key, the payload shown safely. */
import { useEffect, useState } from 'preact/hooks'
import type { ShownBytes, ShownLetter } from '../../api-types.ts'
import { get } from '../api.ts'
import { time } from '../format.ts'
import { href } from '../route.ts'
import { Json, Notice } from './parts.tsx'

export function LetterDetail({
  id,
  reload,
  onClose,
}: {
  id: string
  reload: number
  onClose: () => void
}) {
  const [letter, setLetter] = useState<ShownLetter>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    const abort = new AbortController()
    get<ShownLetter>(`/api/dead-letters/${id}`, abort.signal).then(
      setLetter,
      (e: Error) => !abort.signal.aborted && setError(e.message),
    )
    return () => abort.abort()
  }, [id, reload])
  return (
    <section class="panel" aria-labelledby="letter-title" id="letter-detail">
      <h3 id="letter-title">Dead letter {id}</h3>
      <button type="button" onClick={onClose}>
        Close
      </button>
      {error && <Notice kind="error">{error}</Notice>}
      {letter && (
        <>
          <dl class="facts">
            <dt>state</dt>
            <dd data-testid="letter-state">
              {letter.state}
              {letter.handled &&
                ` ${time(letter.handled.at)} by ${letter.handled.by}${letter.handled.replay ? ` (replay #${letter.handled.replay})` : ''}`}
            </dd>
            <dt>task</dt>
            <dd>
              <a href={href('tasks', { id: letter.task_id })}>{letter.task_id}</a>
            </dd>
            <dt>error</dt>
            <dd>
              {letter.error.class} <code>{letter.error.code}</code>: {letter.error.message}
            </dd>
            <dt>origin</dt>
            <dd>
              {letter.origin.topic} partition {letter.origin.partition} offset{' '}
              {letter.origin.offset}
            </dd>
            <dt>attempts</dt>
            <dd>
              {letter.attempts}; replayed {letter.replays} time(s) before
            </dd>
            <dt>worker</dt>
            <dd>{letter.worker_id}</dd>
            <dt>dead-lettered</dt>
            <dd>{time(letter.at)}</dd>
            {letter.key && (
              <>
                <dt>original key</dt>
                <dd>
                  <Bytes shown={letter.key} />
                </dd>
              </>
            )}
          </dl>
          <table class="data" id="letter-headers">
            <caption>Headers</caption>
            <tbody>
              {Object.entries(letter.headers).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">
                    <code>{k}</code>
                  </th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {letter.truncated && (
            <Notice kind="warn">
              The payload was cut to fit the dead-letter topic: {letter.truncated.bytes} bytes
              originally (sha256 {letter.truncated.sha256}). It cannot be replayed.
            </Notice>
          )}
          <h4>Payload ({letter.payload.bytes} bytes)</h4>
          <Bytes shown={letter.payload} block />
        </>
      )}
    </section>
  )
}

function Bytes({ shown, block }: { shown: ShownBytes; block?: boolean }) {
  if (shown.json !== undefined && block) return <Json value={shown.json} />
  if (shown.text !== undefined)
    return block ? <pre class="json">{shown.text}</pre> : <code>{shown.text}</code>
  return <code class="binary">base64: {shown.base64}</code>
}
