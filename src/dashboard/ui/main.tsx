/** The dashboard page: mounted into the shell that server.ts serves. */
import { render } from 'preact'
import 'uplot/dist/uPlot.min.css'
import './app.css'
import { boot } from './api.ts'
import { App } from './app.tsx'

const root = document.getElementById('app')
if (root) render(<App boot={boot()} />, root)
