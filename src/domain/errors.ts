// Rule violations carry a kind, not an HTTP status: the api layer maps kinds to statuses, so the
// same rule reads the same through the modern and the legacy API.
export type ErrorKind =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'rate-limited'
  | 'too-early'
  | 'unsupported'
  /** 415: a body declared as something other than what the endpoint reads (a form where JSON is due). */
  | 'unsupported-media-type'
  /** 406: a referenced resource is unusable here (e.g. a room image that is not a file of the room). */
  | 'not-acceptable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (msg: string): DomainError => new DomainError('bad-request', msg);
export const forbidden = (msg = 'Permission denied'): DomainError => new DomainError('forbidden', msg);
export const notFound = (msg: string): DomainError => new DomainError('not-found', msg);
export const unauthorized = (msg = 'X-SOGS-* request authentication required'): DomainError => new DomainError('unauthorized', msg);
