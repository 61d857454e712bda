/** A progress bar on the terminal (stderr), fed by worker events; nothing when not a TTY. */
import { SingleBar } from 'cli-progress'
import type { WorkerMetrics } from '../worker/metrics.ts'

export interface Progress {
  readonly metrics: WorkerMetrics
  stop(): void
}

export function progressBar(total: number, enabled = process.stderr.isTTY === true): Progress {
  const noop = () => undefined
  if (!enabled)
    return {
      metrics: { taskStarted: noop, taskFinished: noop, retried: noop, deadLettered: noop },
      stop: noop,
    }
  const bar = new SingleBar({
    format: '  {bar} {value}/{total} tasks | {failed} failed | {eta_formatted} left',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  })
  let done = 0
  let failed = 0
  bar.start(total, 0, { failed })
  return {
    metrics: {
      taskStarted: noop,
      retried: noop,
      deadLettered: noop,
      taskFinished: (event) => {
        done++
        if (event.outcome === 'failed') failed++
        if (done > bar.getTotal()) bar.setTotal(done)
        bar.update(done, { failed })
      },
    },
    stop: () => bar.stop(),
  }
}
