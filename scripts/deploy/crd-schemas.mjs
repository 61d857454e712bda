#!/usr/bin/env node
// Turns CustomResourceDefinitions (YAML, e.g. KEDA's config/crd/bases/*.yaml from its Go module)
// into the per-kind JSON Schemas kubeconform reads, named as k8s-schemas.mjs names the built-in
// ones: `<kind>-<first label of the group>-<version>.json` (`scaledobject-keda-v1alpha1.json`),
// which kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}` template finds. "Strict" as the API
// server prunes: an object with declared properties rejects unknown fields, except where the CRD
// says x-kubernetes-preserve-unknown-fields.
//
// Usage: node scripts/deploy/crd-schemas.mjs OUT_DIR CRD_YAML...
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'

const [outDir, ...files] = process.argv.slice(2)
if (!outDir || files.length === 0) {
  console.error('usage: crd-schemas.mjs OUT_DIR CRD_YAML...')
  process.exit(2)
}

/** An OpenAPI v3 schema node of a CRD as JSON Schema: strict objects, extensions resolved. */
function convert(node) {
  if (Array.isArray(node)) return node.map(convert)
  if (node === null || typeof node !== 'object') return node
  if (node['x-kubernetes-int-or-string'] === true) {
    return { oneOf: [{ type: 'string' }, { type: 'integer' }] }
  }
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable') continue
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]))
        : convert(value)
  }
  if (node.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  const open = node['x-kubernetes-preserve-unknown-fields'] === true
  if (out.properties && out.additionalProperties === undefined && !open) {
    out.additionalProperties = false
  }
  return out
}

mkdirSync(outDir, { recursive: true })
let written = 0
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const crd = doc.toJS()
    if (crd?.kind !== 'CustomResourceDefinition') continue
    const { group, names, versions } = crd.spec
    for (const version of versions) {
      const schema = convert(version.schema.openAPIV3Schema)
      schema.properties.apiVersion = { type: 'string', enum: [`${group}/${version.name}`] }
      schema.properties.kind = { type: 'string', enum: [names.kind] }
      schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind'])]
      schema.$schema = 'http://json-schema.org/draft-04/schema#'
      const name = `${names.kind.toLowerCase()}-${group.split('.')[0]}-${version.name}.json`
      writeFileSync(join(outDir, name), JSON.stringify(schema))
      written++
    }
  }
}
console.error(`crd-schemas: ${written} schemas in ${outDir}`)
