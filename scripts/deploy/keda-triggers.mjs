#!/usr/bin/env node
// Checks the metadata keys of the `kafka` triggers in ScaledObject manifests against the keys
// KEDA's Kafka scaler reads. The CRD types trigger metadata as a map of strings, so a misspelt key
// (`lagThreshhold`) passes schema validation and KEDA silently uses the default instead. The keys
// come from the scaler's source in KEDA's Go module (pkg/scalers/kafka_scaler.go): every struct
// tag `keda:"name=<key>,order=...triggerMetadata..."`, plus `<key>FromEnv` where the order
// includes resolvedEnv.
//
// Usage: node scripts/deploy/keda-triggers.mjs KAFKA_SCALER_GO MANIFEST...   (exit 1 on unknown keys)
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'

const [scaler, ...manifests] = process.argv.slice(2)
if (!scaler || manifests.length === 0) {
  console.error('usage: keda-triggers.mjs KAFKA_SCALER_GO MANIFEST...')
  process.exit(2)
}

const known = new Set()
for (const [, name, order] of readFileSync(scaler, 'utf8').matchAll(
  /keda:"name=([A-Za-z0-9]+),order=([^,"]+)/g,
)) {
  const sources = order.split(';')
  if (!sources.includes('triggerMetadata')) continue
  known.add(name)
  if (sources.includes('resolvedEnv')) known.add(`${name}FromEnv`)
}
if (known.size === 0) {
  console.error(`keda-triggers: no trigger metadata keys found in ${scaler}`)
  process.exit(2)
}

let problems = 0
let checked = 0
for (const file of manifests) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = doc.toJS()
    if (object?.kind !== 'ScaledObject' && object?.kind !== 'ScaledJob') continue
    for (const [i, trigger] of (object.spec?.triggers ?? []).entries()) {
      if (trigger.type !== 'kafka') continue
      checked++
      for (const key of Object.keys(trigger.metadata ?? {})) {
        if (known.has(key)) continue
        console.error(
          `${file}: ${object.kind} ${object.metadata?.name} trigger ${i}: unknown kafka metadata key '${key}'`,
        )
        problems++
      }
    }
  }
}
console.error(
  `keda-triggers: ${checked} kafka trigger(s) checked against ${known.size} keys, ${problems} unknown`,
)
process.exit(problems === 0 ? 0 : 1)
