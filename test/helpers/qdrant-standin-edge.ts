/**
 * The stand-in's engine on Qdrant Edge: Qdrant's own storage and search engine as a library
 * (PyPI `qdrant-edge-py`), driven by qdrant-edge-engine.py in a child process. Used when
 * `VECTORIZE_QDRANT_EDGE_PYTHON` names a Python that has it, e.g.
 *   python3 -m venv .venv-qdrant-edge && .venv-qdrant-edge/bin/pip install qdrant-edge-py==0.9.0
 *   export VECTORIZE_QDRANT_EDGE_PYTHON=$PWD/.venv-qdrant-edge/bin/python
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { repoRoot } from './models.ts'
import { QdrantError, type EngineOp, type StandInEngine } from './qdrant-standin-engine.ts'
import { Unsupported } from './qdrant-standin-filter.ts'

const script = join(repoRoot(), 'test', 'helpers', 'qdrant-edge-engine.py')

/** The Python to use, or a reason to skip: unset, or it cannot import qdrant_edge. */
export function edgePython(): { python: string } | { skip: string } {
  const python = process.env.VECTORIZE_QDRANT_EDGE_PYTHON
  if (python === undefined || python === '') {
    return { skip: 'VECTORIZE_QDRANT_EDGE_PYTHON is not set (a Python with qdrant-edge-py)' }
  }
  const probe = spawnSync(python, ['-c', 'import qdrant_edge'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    return { skip: `${python} cannot import qdrant_edge: ${probe.stderr || probe.error?.message}` }
  }
  return { python }
}

interface Reply {
  readonly id: number
  readonly result?: unknown
  readonly error?: { status: number; message: string }
}

export class EdgeEngine implements StandInEngine {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #pending = new Map<number, (reply: Reply) => void>()
  #next = 0
  #stderr = ''

  constructor(python: string) {
    this.#child = spawn(python, ['-u', script], { stdio: 'pipe' })
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()))
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply
      this.#pending.get(reply.id)?.(reply)
      this.#pending.delete(reply.id)
    })
    this.#child.on('exit', () => {
      const gone = { id: -1, error: { status: 500, message: `engine exited: ${this.#stderr}` } }
      for (const resolve of this.#pending.values()) resolve(gone)
      this.#pending.clear()
    })
  }

  async call(op: EngineOp, name: string, body: Record<string, unknown>): Promise<unknown> {
    const id = this.#next++
    const reply = await new Promise<Reply>((resolve) => {
      this.#pending.set(id, resolve)
      this.#child.stdin.write(`${JSON.stringify({ id, op, name, body })}\n`)
    })
    if (reply.error === undefined) return reply.result
    const { status, message } = reply.error
    throw status === 501 ? new Unsupported(message) : new QdrantError(status, message)
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.stdin.end()
    await exited
  }
}
