/** Command-line helpers shared by the benchmark scripts. */

/** `raw` as an integer ≥ `min`; otherwise prints what was wrong and the usage, and exits 2. */
export function intArg(name: string, raw: string | undefined, min: number, usage: string): number {
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got ${raw}\n\n${usage}`)
    process.exit(2)
  }
  return value
}
