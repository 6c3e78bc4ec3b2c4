// Work held until the event loop's current round of I/O is over.
//
// libuv reads every ready socket in one round, and goes round again at once (up to 48 times)
// while sockets keep coming ready. A reply written inside the round lets a client that asks again
// at once (a flood answered with 503s over keep-alive connections) be read again in the same
// round: measured on the attack benchmark, one round refused 8,361 requests from 2,000
// connections and lasted 6.3 s, while the admitted requests waited for the turn's database
// batch, timers (the shedder's own window) and newcomers waited for the round to end. A refusal
// written after the round gives each connection at most one request a round.

const queued: (() => void)[] = [];

function flush(): void {
  // Callbacks queued while flushing wait for the next round: that is the point.
  const list = queued.splice(0);
  for (const fn of list) fn();
}

/** Runs `fn` once this round of I/O is over (all queued callbacks share one setImmediate). */
export function afterIo(fn: () => void): void {
  if (queued.push(fn) === 1) setImmediate(flush);
}
