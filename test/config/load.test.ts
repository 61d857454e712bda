import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { envName } from '../../src/config/env.ts'
import { configFields, loadConfig, type FlagSetting } from '../../src/config/load.ts'
import { redactConfig } from '../../src/config/redact.ts'
import { VectorizeError } from '../../src/worker/errors.ts'

let dir: string
let file: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vectorize-config-'))
  file = join(dir, 'worker.yaml')
  await writeFile(
    file,
    'worker:\n  id: from-yaml\nprocessing:\n  max_concurrent_tasks: 7\n  max_batch_tokens: 1000\nmodels:\n  device: cpu\n',
  )
})
after(() => rm(dir, { recursive: true, force: true }))

const load = (
  env: NodeJS.ProcessEnv = {},
  flags: FlagSetting[] = [],
  path: string | undefined = file,
) => loadConfig({ file: path, env, flags, cwd: dir })

async function rejection(promise: Promise<unknown>): Promise<VectorizeError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof VectorizeError, `expected a VectorizeError, got ${String(err)}`)
    return err
  }
  assert.fail('expected the config to be rejected')
}

describe('loadConfig', () => {
  it('should apply defaults when nothing is set', async () => {
    const { config, file: used } = await loadConfig({ env: {}, flags: [], cwd: dir })
    assert.equal(used, undefined)
    assert.equal(config.worker.id, 'worker-1')
    assert.equal(config.vector_databases.default, 'lancedb')
    assert.equal(config.processing.retry.max_attempts, 30)
  })

  it('should let YAML beat defaults', async () => {
    const { config } = await load()
    assert.equal(config.worker.id, 'from-yaml')
    assert.equal(config.processing.max_batch_tokens, 1000)
  })

  it('should let env beat YAML and flags beat env', async () => {
    const env = {
      VECTORIZE_WORKER_PROCESSING_MAX_BATCH_TOKENS: '2000',
      VECTORIZE_WORKER_WORKER_ID: 'from-env',
    }
    const { config } = await load(env)
    assert.equal(config.processing.max_batch_tokens, 2000)
    assert.equal(config.worker.id, 'from-env')
    const flags = [{ key: 'worker.id', raw: 'from-flag', flag: '--worker-id' }]
    assert.equal((await load(env, flags)).config.worker.id, 'from-flag')
  })

  it('should honour the three seed env names', async () => {
    const { config } = await load({
      VECTORIZE_WORKER_WORKER_ID: 'seed-worker',
      VECTORIZE_WORKER_DEVICE: 'coreml',
      VECTORIZE_WORKER_MAX_CONCURRENT_TASKS: '3',
    })
    assert.equal(config.worker.id, 'seed-worker')
    assert.equal(config.models.device, 'coreml')
    assert.equal(config.processing.max_concurrent_tasks, 3)
  })

  it('should let the full env name beat its seed alias', async () => {
    const { config } = await load({
      VECTORIZE_WORKER_DEVICE: 'cuda',
      VECTORIZE_WORKER_MODELS_DEVICE: 'cpu',
    })
    assert.equal(config.models.device, 'cpu')
  })

  it('should parse lists and booleans from env', async () => {
    const { config } = await load({
      VECTORIZE_WORKER_KAFKA_BROKERS: 'a:9092, b:9092',
      VECTORIZE_WORKER_MODELS_ALLOW_REMOTE: 'false',
    })
    assert.deepEqual(config.kafka.brokers, ['a:9092', 'b:9092'])
    assert.equal(config.models.allow_remote, false)
  })

  it('should read Qdrant payload indexes from YAML objects and from field:type in env', async () => {
    const yaml = join(dir, 'indexes.yaml')
    await writeFile(
      yaml,
      'vector_databases:\n  qdrant:\n    payload_indexes:\n      - { field: lang, type: keyword }\n      - year:float\n',
    )
    const fromYaml = await load({}, [], yaml)
    assert.deepEqual(fromYaml.config.vector_databases.qdrant.payload_indexes, [
      { field: 'lang', type: 'keyword' },
      { field: 'year', type: 'float' },
    ])
    const env = {
      VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_PAYLOAD_INDEXES: 'lang:keyword, ok:bool',
    }
    const fromEnv = await load(env)
    assert.deepEqual(fromEnv.config.vector_databases.qdrant.payload_indexes, [
      { field: 'lang', type: 'keyword' },
      { field: 'ok', type: 'bool' },
    ])
    const wrongType = await rejection(
      load({ VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_PAYLOAD_INDEXES: 'lang:text' }),
    )
    assert.match(
      wrongType.message,
      /payload_indexes\.0\.type \(from environment VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_PAYLOAD_INDEXES\).*keyword.*integer.*float.*bool/,
    )
    const badField = await rejection(
      load({ VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_PAYLOAD_INDEXES: 'a.b:keyword' }),
    )
    assert.match(badField.message, /payload_indexes\.0\.field.*top-level metadata field/)
    const twice = await rejection(
      load({ VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_PAYLOAD_INDEXES: 'lang:keyword,lang:bool' }),
    )
    assert.match(twice.message, /payload_indexes.*listed twice/)
  })

  it('should name the setting, the value, its origin and what is allowed when a value is invalid', async () => {
    const err = await rejection(load({ VECTORIZE_WORKER_MAX_CONCURRENT_TASKS: '-1' }))
    assert.equal(err.code, 'config_invalid')
    assert.match(err.message, /processing\.max_concurrent_tasks/)
    assert.match(err.message, /-1/)
    assert.match(err.message, /VECTORIZE_WORKER_MAX_CONCURRENT_TASKS/)
    assert.match(err.message, />0/)
    const enumErr = await rejection(
      load({}, [{ key: 'models.device', raw: 'gpu', flag: '--device' }]),
    )
    assert.match(
      enumErr.message,
      /models\.device = "gpu" \(from flag --device\).*auto.*cpu.*cuda.*coreml/,
    )
    const numErr = await rejection(load({ VECTORIZE_WORKER_MODELS_MAX_LOADED: 'three' }))
    assert.match(numErr.message, /models\.max_loaded: "three".*expected a number/)
  })

  it('should reject an unknown env variable with a suggestion', async () => {
    const err = await rejection(load({ VECTORIZE_WORKER_WORKR_ID: 'x' }))
    assert.match(
      err.message,
      /unknown environment variable VECTORIZE_WORKER_WORKR_ID; did you mean VECTORIZE_WORKER_WORKER_ID/,
    )
  })

  it('should reject unknown YAML keys and name the file when YAML is broken', async () => {
    const bad = join(dir, 'bad.yaml')
    await writeFile(bad, 'processing:\n  max_concurent_tasks: 3\n')
    const err = await rejection(load({}, [], bad))
    assert.match(err.message, /unknown setting in processing: max_concurent_tasks/)
    await writeFile(bad, 'worker: [unclosed\n')
    assert.match((await rejection(load({}, [], bad))).message, /bad\.yaml is not valid YAML/)
    assert.match(
      (await rejection(load({}, [], join(dir, 'missing.yaml')))).message,
      /cannot read config file .*missing\.yaml/,
    )
  })

  it('should give every setting a distinct env name and a doc line', () => {
    const names = configFields.map(envName)
    assert.equal(new Set(names).size, names.length)
    for (const field of configFields)
      assert.notEqual(field.doc.trim(), '', `${field.key} has no doc`)
  })
})

describe('redactConfig', () => {
  it('should hide secrets but keep URL hosts visible', async () => {
    const { config } = await load({
      VECTORIZE_WORKER_KAFKA_SASL_PASSWORD: 'hunter2',
      VECTORIZE_WORKER_REDIS_URL: 'redis://user:s3cret@cache.internal:6379/0',
      VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_API_KEY: 'qk-123',
    })
    const text = JSON.stringify(redactConfig(config))
    assert.doesNotMatch(text, /hunter2|s3cret|qk-123/)
    assert.match(text, /cache\.internal:6379/)
  })
})
