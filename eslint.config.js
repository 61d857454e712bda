// Type-aware lint. The import-x/no-restricted-paths zones encode the layering of STYLE.md:
// the core (worker/, tasks/) sees only contracts; adapters never import each other.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { importX } from 'eslint-plugin-import-x'

const adapters = ['sources', 'stores', 'models', 'reporters']

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'fixtures/',
      'data/',
      'coverage/',
      '.scratch/',
      'artifacts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: ['./src/worker', './src/tasks'],
              from: adapters.map((a) => `./src/${a}`),
              except: ['./source.ts', './store.ts', './embedder.ts', './reporter.ts'],
              message: 'the core sees contracts only; main.ts wires the adapters',
            },
            ...adapters.map((a) => ({
              target: `./src/${a}`,
              from: adapters.filter((b) => b !== a).map((b) => `./src/${b}`),
              message: 'adapters do not import each other',
            })),
            {
              target: [
                'worker',
                'tasks',
                'config',
                'protocol',
                'observability',
                'files',
                'kafka',
                'dead-letters',
                'dashboard',
                ...adapters,
              ].map((d) => `./src/${d}`),
              from: ['./src/main.ts', './src/cli'],
              message: 'only the CLI and main.ts wire things together',
            },
            {
              // the page runs in the browser and reaches the server over HTTP only
              target: './src/dashboard/ui',
              from: './src',
              except: ['./dashboard/ui', './dashboard/api-types.ts'],
              message: 'the page imports nothing of the server but the API shapes',
            },
          ],
        },
      ],
    },
  },
  {
    // observability/ owns pino and prom-client (STYLE.md); everything else sees its interfaces
    files: ['src/**/*.ts'],
    ignores: ['src/observability/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['pino', 'prom-client'].map((name) => ({
            name,
            message: 'only src/observability/ imports it',
          })),
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: false },
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
)
