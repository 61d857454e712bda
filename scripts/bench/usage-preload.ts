/**
 * Loaded into a benchmarked Node process with `--import` (never by the product): when
 * VECTORIZE_BENCH_USAGE_FILE is set, the process writes its own CPU time, peak RSS and the CPU time
 * of each of its threads (Linux: /proc/self/task) to that file as it exits. Threads are sampled
 * every 100 ms as well, so one that ended before the process (the inference thread after close())
 * still shows, missing at most its last 100 ms.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

/** /proc counts CPU time in clock ticks; 100 per second on every Linux this runs on. */
const TICK_MS = 10

interface ThreadUsage {
  name: string
  cpuMs: number
}

const file = process.env.VECTORIZE_BENCH_USAGE_FILE
if (isMainThread && file) {
  const threads = new Map<string, ThreadUsage>()
  const sample = () => {
    let tids: string[]
    try {
      tids = readdirSync('/proc/self/task')
    } catch {
      return // not Linux: the process totals still come from resourceUsage()
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
        // the name is in parentheses and may hold spaces: fields are counted after the last ')'
        const close = stat.lastIndexOf(')')
        const name = stat.slice(stat.indexOf('(') + 1, close)
        const fields = stat.slice(close + 2).split(' ')
        const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS
        threads.set(tid, { name, cpuMs })
      } catch {
        // the thread ended between readdir and read
      }
    }
  }
  setInterval(sample, 100).unref()
  process.on('exit', () => {
    sample()
    const usage = process.resourceUsage()
    const report = {
      userMs: usage.userCPUTime / 1000,
      systemMs: usage.systemCPUTime / 1000,
      maxRssBytes: usage.maxRSS * 1024,
      threads: [...threads.entries()].map(([tid, t]) => ({ tid: Number(tid), ...t })),
    }
    writeFileSync(file, JSON.stringify(report))
  })
}
