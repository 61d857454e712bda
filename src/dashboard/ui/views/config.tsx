/** The configuration this dashboard runs with, secrets redacted as `config print` shows them. */
import { useEffect, useState } from 'preact/hooks'
import { get } from '../api.ts'
import { Json, Notice } from './parts.tsx'

export function ConfigView() {
  const [config, setConfig] = useState<unknown>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    get<unknown>('/api/config').then(setConfig, (e: Error) => setError(e.message))
  }, [])
  return (
    <section aria-labelledby="config-title">
      <h2 id="config-title">Configuration</h2>
      <p class="hint">Secrets (passwords, API keys, tokens, Redis credentials) are shown as ***.</p>
      {error && <Notice kind="error">{error}</Notice>}
      {config !== undefined && <Json value={config} />}
    </section>
  )
}
