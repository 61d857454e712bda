/** `vectorize dashboard` as a child process of a test workspace, and where it listens. */
import type { Background, Workspace } from './cli.ts'
import { tail } from './cli.ts'
import { waitUntil } from './wait.ts'

export interface RunningDashboard {
  readonly url: string
  readonly process: Background
}

/** Starts it on a free loopback port and waits until it says where it listens. */
export async function startDashboard(
  ws: Workspace,
  env: Record<string, string>,
): Promise<RunningDashboard> {
  const process = ws.start(['dashboard'], {
    env: { VECTORIZE_WORKER_DASHBOARD_PORT: '0', ...env },
  })
  let url: string | undefined
  await waitUntil(
    () => `the dashboard to listen: ${tail(process.output().stderr)}`,
    () => {
      url = /vectorize dashboard on (http:\/\/\S+)/.exec(process.output().stderr)?.[1]
      if (process.child.exitCode !== null)
        throw new Error(`the dashboard exited: ${tail(process.output().stderr)}`)
      return url !== undefined
    },
    { timeoutMs: 60_000 },
  )
  return { url: url!, process }
}
