/**
 * The fakes the worker's unit tests use pass the same contract suites as the real adapters: an
 * in-memory store (VectorStore), log (TaskSource), reporter (Reporter) and model manager
 * (ModelManager). A fake that drifts from the contract fails here, not in the tests built on it.
 */
import { modelContract } from '../models/contract.ts'
import { reporterContract } from '../reporters/contract.ts'
import { sourceContract } from '../sources/contract.ts'
import { storeContract } from '../stores/contract.ts'
import { FakeModels } from './fake-models.ts'
import { MemoryLog } from './memory-source.ts'
import { MemoryReporter } from './memory-reporter.ts'
import { MemoryStore } from './memory-store.ts'

storeContract('MemoryStore', () => {
  const store = new MemoryStore()
  return Promise.resolve({ store, cleanup: () => store.close() })
})

sourceContract('MemorySource', (t) => {
  const log = new MemoryLog()
  const opened: { close(): Promise<void> }[] = []
  t.after(async () => {
    for (const o of opened) await o.close()
  })
  const track = <T extends { close(): Promise<void> }>(o: T) => (opened.push(o), o)
  return Promise.resolve({
    openSource: () => Promise.resolve(track(log.source())),
    openPublisher: () => Promise.resolve(track(log.publisher())),
  })
})

reporterContract('MemoryReporter', (t) => {
  const reporter = new MemoryReporter()
  t.after(() => reporter.close())
  return Promise.resolve({ reporter, read: () => Promise.resolve(reporter) })
})

modelContract('FakeModels', () => {
  const models = new FakeModels()
  return Promise.resolve({ models, cleanup: () => models.close() })
})
