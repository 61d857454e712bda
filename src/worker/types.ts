/** Small types shared by the worker, the contracts and their adapters. */

/** Every port method takes a signal so one AbortController can stop all work in flight. */
export interface Signal {
  readonly signal: AbortSignal
}
