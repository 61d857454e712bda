#!/usr/bin/env node
// Turns the Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json of the k8s.io/kubernetes
// Go module) into the per-kind JSON Schemas kubeconform reads, offline: one standalone file per
// group/version/kind, named like yannh/kubernetes-json-schema's `-standalone-strict` set
// (`deployment-apps-v1.json`, `configmap-v1.json`), holding the definitions it references.
// "Strict" as kubectl validates: unknown fields are errors (additionalProperties: false).
//
// Usage: node scripts/deploy/k8s-schemas.mjs SWAGGER_JSON OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [swaggerPath, outDir] = process.argv.slice(2)
if (!swaggerPath || !outDir) {
  console.error('usage: k8s-schemas.mjs SWAGGER_JSON OUT_DIR')
  process.exit(2)
}
const definitions = JSON.parse(readFileSync(swaggerPath, 'utf8')).definitions
const REF = '#/definitions/'

// Types the API server accepts in two JSON shapes (kubectl's validation does the same).
const special = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    oneOf: [{ type: 'string' }, { type: 'integer' }],
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
}

/** A copy of a definition: strict objects, and extensions dropped. */
function convert(node) {
  if (Array.isArray(node)) return node.map(convert)
  if (node === null || typeof node !== 'object') return node
  if (node.format === 'int-or-string')
    return special['io.k8s.apimachinery.pkg.util.intstr.IntOrString']
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-')) continue
    out[key] = key === 'properties' ? mapValues(value, convert) : convert(value)
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false
  return out
}

const mapValues = (obj, fn) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]))

/** Names of every definition reachable from `name` through $ref. */
function reachable(name, seen = new Set()) {
  if (seen.has(name)) return seen
  seen.add(name)
  const walk = (node) => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string' && node.$ref.startsWith(REF))
        reachable(node.$ref.slice(REF.length), seen)
      Object.values(node).forEach(walk)
    }
  }
  walk(definitions[name])
  return seen
}

mkdirSync(outDir, { recursive: true })
let written = 0
for (const [name, def] of Object.entries(definitions)) {
  for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
    if (gvk.kind.endsWith('List') || !def.properties?.metadata) continue
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version
    const suffix = gvk.group ? `-${gvk.group.split('.')[0]}-${gvk.version}` : `-${gvk.version}`
    const schema = convert(def)
    schema.properties.apiVersion = { type: 'string', enum: [apiVersion] }
    schema.properties.kind = { type: 'string', enum: [gvk.kind] }
    schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind'])]
    schema.definitions = {}
    for (const dep of reachable(name)) {
      schema.definitions[dep] = special[dep] ?? convert(definitions[dep])
    }
    schema.$schema = 'http://json-schema.org/draft-04/schema#'
    writeFileSync(join(outDir, `${gvk.kind.toLowerCase()}${suffix}.json`), JSON.stringify(schema))
    written++
  }
}
console.error(`k8s-schemas: ${written} schemas in ${outDir}`)
