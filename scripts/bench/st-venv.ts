/**
 * The sentence-transformers venv `npm run bench` compares with: sentence-transformers, torch and
 * transformers at the versions the shared reference vectors were made with, every other package
 * held to sentence-transformers-constraints.txt. torch's Linux wheel from PyPI pulls its CUDA
 * wheels even for CPU use: about 6.5 GB on disk and a few minutes to install, once.
 */
import { fileURLToPath } from 'node:url'
import { packageRoot } from '../../src/cli/package-root.ts'
import { join } from 'node:path'
import { pythonVenv } from '../python-venv.ts'

export const ST_VERSION = '6.3.0'
export const TORCH_VERSION = '2.15.0'
export const TRANSFORMERS_VERSION = '5.25.0'

/** The encode script the venv runs (kept beside this file's source). */
export function stScript(): string {
  return join(packageRoot(), 'scripts', 'bench', 'st_encode.py')
}

export function sentenceTransformersPython(say: (line: string) => void) {
  const constraints = join(
    packageRoot(),
    'scripts',
    'bench',
    'sentence-transformers-constraints.txt',
  )
  return pythonVenv(
    {
      name: `sentence-transformers-${ST_VERSION}-torch-${TORCH_VERSION}`,
      packages: {
        'sentence-transformers': ST_VERSION,
        torch: TORCH_VERSION,
        transformers: TRANSFORMERS_VERSION,
      },
      constraints,
    },
    say,
  )
}

// `node dist/scripts/bench/st-venv.js`: prepares the venv alone (e.g. ahead of a benchmark).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const made = await sentenceTransformersPython((line) => console.log(line))
  console.log('python' in made ? made.python : `skipped: ${made.skip}`)
}
