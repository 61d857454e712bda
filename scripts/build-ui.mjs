#!/usr/bin/env node
// Bundles the dashboard's front end (src/dashboard/ui) into dist/dashboard-ui: app.js and app.css,
// minified, with Preact and uPlot inside, so `vectorize dashboard` serves it from the package with
// nothing fetched at run time. Part of `npm run build`. VECTORIZE_UI_MINIFY=false keeps the names
// readable (a page error's stack then says where it was).
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/dashboard/ui/main.tsx' },
  outdir: 'dist/dashboard-ui',
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: process.env.VECTORIZE_UI_MINIFY !== 'false',
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'src/dashboard/ui/tsconfig.json',
  legalComments: 'linked',
  logLevel: 'warning',
})
