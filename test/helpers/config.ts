/** A validated config for tests: the schema's defaults under the given sections. */
import { configSchema, type Config } from '../../src/config/schema.ts'

type Sections = { [K in keyof Config]?: Record<string, unknown> }

export function testConfig(sections: Sections = {}): Config {
  return configSchema.parse(sections)
}
