// The one request/response shape every transport produces and consumes: the HTTP listener,
// /batch and /sequence, and onion requests all build an ApiRequest and call the same router.

export interface ApiRequest {
  method: string;
  /** Percent-decoded path (what routes match and what request signatures cover). */
  path: string;
  /** Raw query string without the '?'. */
  query: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  /** Header names lower-cased; content-type always present. */
  headers: Record<string, string>;
  /** The JSON value when the body is JSON: batch and onion replies use it without re-parsing. */
  json?: unknown;
  /** The JSON body already serialised (a shared rendering, see listing-cache): embedded as is. */
  jsonText?: string;
  /** jsonText's UTF-8 bytes when they are kept (a shared rendering), for bodyOf. */
  bodyBytes?: () => Buffer;
  /** Raw body, for non-JSON responses (or JSON serialised lazily by bodyOf). */
  body?: Buffer;
}
