/** Reading the API's answers: plain fetch Responses, so this module runs in Node's tests too. */

export class ApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/**
 * The answer's JSON, or an ApiError with the server's reason. A body that cannot be read (its
 * request was aborted by a newer one while the body arrived) rejects: it must never pass for an
 * empty answer, which the views would render as a page without its letters.
 */
export async function answer<T>(response: Response): Promise<T> {
  if (response.ok) return (await response.json()) as T
  const body = (await response.json().catch(() => ({}))) as { error?: string }
  throw new ApiError(response.status, body.error ?? `HTTP ${response.status}`)
}
