/** The snapshot stream: one EventSource, reconnecting by itself (the browser retries). */
import { useEffect, useState } from 'preact/hooks'
import type { Snapshot } from '../api-types.ts'

export type Connection = 'connecting' | 'live' | 'reconnecting'

export function useSnapshot(): { snapshot: Snapshot | undefined; connection: Connection } {
  const [snapshot, setSnapshot] = useState<Snapshot>()
  const [connection, setConnection] = useState<Connection>('connecting')
  useEffect(() => {
    const events = new EventSource('/api/events')
    events.addEventListener('snapshot', (e) => {
      setSnapshot(JSON.parse((e as MessageEvent<string>).data) as Snapshot)
      setConnection('live')
    })
    events.onerror = () => setConnection('reconnecting')
    return () => events.close()
  }, [])
  return { snapshot, connection }
}
