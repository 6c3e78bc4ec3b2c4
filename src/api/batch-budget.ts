// The budget of one /batch or /sequence (direct or inside an onion request: same route). One
// small request once fanned out into 200 listings of 256 messages each, 25-46 MB of reply and
// half a second of work, and ten such requests stalled every other client. A batch's reply is now
// held to `batchReplyBytes`, and each sub-request counts at least `batchRequestCost` bytes of it
// (what running even a cheap sub-request costs, so a body of thousands of tiny sub-requests cannot
// buy unbounded work either). The count of sub-requests is not capped beyond that: a client
// polling every room of a server in one batch (iOS: 1 + 2 x rooms + 2) must fit, and it does as
// long as its rooms' replies do.
//
// Every slot keeps a reservation of batchRequestCost bytes until it is filled, so the reply can
// always name, in their own slots, the sub-requests that no longer fit: once the budget is used
// up, they are not run and each answers 429 (see OVER_BUDGET_STATUS). A read whose reply did not
// fit answers the same 429 (it changed nothing). A write whose reply did not fit was carried out:
// it keeps its real status, with a short text body saying so instead of the reply, so that its
// client does not send it again (a post twice).
import { DomainError } from '../domain/errors';
import { CT_TEXT } from './respond';
import type { ApiResponse } from './types';

/**
 * 429 rather than 413: a client treats a failed sub-request of its poll as "ask again next
 * time", and 429 ("too much at once, retry later") says exactly that; 413 names the request as
 * too large, which a client may take as final (and mark an upload it batched as failed). Clients
 * read a batch reply slot by slot (each element has its own code), so the rest of a poll is used
 * as usual and the skipped rooms are asked for again on the next poll.
 */
export const OVER_BUDGET_STATUS = 429;

export function overBudgetResponse(replyBytes: number): ApiResponse {
  const message = `Batch reply budget (${replyBytes} bytes) used up: no reply; send it again later`;
  return { status: OVER_BUDGET_STATUS, headers: { 'content-type': CT_TEXT }, body: Buffer.from(message, 'utf8') };
}

/** In place of a write's reply that did not fit: its status stands, the reply is left out. */
export function carriedOutResponse(status: number, replyBytes: number): ApiResponse {
  const message = `Carried out; its reply did not fit the batch reply budget (${replyBytes} bytes)`;
  return { status, headers: { 'content-type': CT_TEXT }, body: Buffer.from(message, 'utf8') };
}

export class BatchBudget {
  /** Bytes of the reply so far: the opening bracket and the elements with their commas. */
  private used = 1;
  private remainingSlots: number;
  private exhausted = false;

  constructor(
    private readonly replyBytes: number,
    private readonly requestCost: number,
    count: number,
  ) {
    this.remainingSlots = count;
    // One byte per slot for its comma (the last slot's is the closing bracket).
    if (1 + count * (requestCost + 1) > replyBytes) {
      throw new DomainError(
        'too-large',
        `Batch of ${count} sub-requests is over budget: each counts at least ${requestCost} bytes of the ${replyBytes}-byte reply budget`,
      );
    }
  }

  /** Whether the next sub-request may still run (false once one did not fit: later ones are not run). */
  get open(): boolean {
    return !this.exhausted;
  }

  /**
   * Takes the next slot for an element of the reply: true when it fits (and is counted), false when
   * it does not (the caller puts the over-budget element there instead, which `fill` then counts).
   */
  take(element: string): boolean {
    const reservedAfter = (this.remainingSlots - 1) * (this.requestCost + 1);
    const room = this.replyBytes - this.used - reservedAfter;
    const size = Math.max(Buffer.byteLength(element, 'utf8'), this.requestCost) + 1;
    if (size > room) {
      this.exhausted = true;
      return false;
    }
    this.used += size;
    this.remainingSlots--;
    return true;
  }

  /** Counts an over-budget or carried-out element in its slot (it always fits the slot's reservation). */
  fill(element: string): void {
    this.used += Math.max(Buffer.byteLength(element, 'utf8'), this.requestCost) + 1;
    this.remainingSlots--;
    this.exhausted = true;
  }
}
