/**
 * A small uPlot time chart that follows the snapshots: created once per set of lines, fed new data
 * with setData, resized with its container. The canvas is described for screen readers by its
 * label and the latest values in text.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Line {
  readonly label: string
  readonly values: readonly (number | null)[]
  readonly color: string
  readonly dash?: boolean
}

interface ChartProps {
  readonly title: string
  /** ms since the epoch */
  readonly t: readonly number[]
  readonly lines: readonly Line[]
  readonly format: (v: number) => string
  readonly height?: number
}

export function Chart({ title, t, lines, format, height = 150 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | undefined>(undefined)
  const shape = lines.map((l) => l.label).join('|')
  const data = [t.map((ms) => ms / 1000), ...lines.map((l) => [...l.values])] as uPlot.AlignedData

  useEffect(() => {
    const el = box.current
    if (!el) return
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      // from 0, with headroom; an all-zero chart spans 0..1 rather than collapsing
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#444' },
        { stroke: '#444', size: 60, values: (_u, ticks) => ticks.map((v) => format(v)) },
      ],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          ...(l.dash && { dash: [6, 4] }),
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : format(v)),
        })),
      ],
    }
    const chart = new uPlot(opts, data, el)
    plot.current = chart
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(200, el.clientWidth), height }),
    )
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = undefined
    }
  }, [shape, height])

  useEffect(() => {
    plot.current?.setData(data)
  })

  const latest = lines
    .map((l) => {
      const v = [...l.values].reverse().find((x) => x !== null)
      return `${l.label} ${v == null ? 'none yet' : format(v)}`
    })
    .join(', ')
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${latest}`} />
    </figure>
  )
}
