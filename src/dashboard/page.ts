/**
 * The page shell: the bundle, its stylesheet and what the page needs from the start — the boot
 * settings and the CSRF token its actions send back — as inert data (no inline script, so the
 * Content-Security-Policy can forbid every script but the bundle's).
 */
import type { Boot } from './api-types.ts'

export function page(boot: Boot, csrfToken: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrfToken)}">
<title>vectorize dashboard</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="application/json" id="boot">${escapeJson(boot)}</script>
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app"><noscript>The vectorize dashboard needs JavaScript.</noscript></div>
</body>
</html>
`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** JSON that cannot close its script element. */
function escapeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}
