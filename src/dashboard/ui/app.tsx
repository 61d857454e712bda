/** The frame: header, tabs, and the view of the current route. */
import type { Boot } from '../api-types.ts'
import { ConfigView } from './views/config.tsx'
import { CollectionsView } from './views/collections.tsx'
import { DeadLettersView } from './views/dead-letters.tsx'
import { OverviewView } from './views/overview.tsx'
import { TasksView } from './views/tasks.tsx'
import { WorkersView } from './views/workers.tsx'
import { useSnapshot } from './live.ts'
import { href, tabs, useRoute } from './route.ts'

export function App({ boot }: { boot: Boot }) {
  const route = useRoute()
  const { snapshot, connection } = useSnapshot()
  const updated = snapshot
    ? new Date(snapshot.at).toLocaleTimeString('en-GB', { hour12: false })
    : '–'
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <h1>vectorize</h1>
        <span class="mode">
          {boot.mode === 'kafka' ? 'Kafka cluster' : 'embedded queue'} · v{boot.version}
        </span>
        <span class={`conn conn-${connection}`} role="status" aria-live="polite">
          {connection === 'live' ? `live · updated ${updated}` : connection}
        </span>
      </header>
      <nav aria-label="Sections" class="tabs">
        {tabs.map(([id, label]) => (
          <a href={href(id)} aria-current={route.tab === id ? 'page' : undefined} key={id}>
            {label}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {route.tab === 'overview' && <OverviewView snapshot={snapshot} />}
        {route.tab === 'workers' && (
          <WorkersView snapshot={snapshot} selected={route.params.get('id')} />
        )}
        {route.tab === 'tasks' && (
          <TasksView snapshot={snapshot} taskId={route.params.get('id') ?? ''} />
        )}
        {route.tab === 'dead-letters' && (
          <DeadLettersView boot={boot} params={route.params} snapshot={snapshot} />
        )}
        {route.tab === 'collections' && <CollectionsView />}
        {route.tab === 'config' && <ConfigView />}
      </main>
    </>
  )
}
