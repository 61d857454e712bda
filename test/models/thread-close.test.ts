/**
 * Issue 10: closing the model manager while the inference thread is inside an ONNX run must not
 * abort the process. onnxruntime-node runs a session synchronously on that thread; terminating the
 * thread meanwhile made the run's N-API wrapper call std::terminate ("terminate called after
 * throwing an instance of 'Napi::Error'", exit 134) — seen as `vectorize worker --exit-when-idle`
 * dying after a task timed out with its batch still running. Run in a child process: an abort
 * would otherwise take the test runner with it.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { testModels } from '../helpers/models.ts'

const child = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'close-mid-run.ts')

function run(args: readonly string[]) {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()))
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()))
  return new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, out })),
  )
}

describe('TransformersModels.close', () => {
  it('should end the process normally when it closes during an inference run', async () => {
    const dir = await testModels()
    const result = await run([dir, '2'])
    assert.equal(result.signal, null, `killed by ${result.signal}: ${result.out}`)
    assert.equal(result.code, 0, result.out)
    assert.equal(result.out, 'rejected: inference thread is closing\n'.repeat(2) + 'closed\n')
  })
})
