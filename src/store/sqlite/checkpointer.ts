// WAL checkpoints in a thread of their own. SQLite's automatic checkpoint runs inside whichever
// commit crosses 1,000 WAL pages, on the event loop, and with synchronous=NORMAL it fsyncs the
// WAL and the database: measured here 12 us per poll on average, and a stall of milliseconds
// for the unlucky request. A server hands that work to a thread with its own connection; its
// main connection keeps an automatic checkpoint only as a backstop, far above what the thread
// lets the WAL reach.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How often the thread checkpoints. */
export const CHECKPOINT_INTERVAL_MS = 500;
/** The main connection's own automatic checkpoint, in WAL pages, while the thread runs (default 1,000). */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(db: Database.Database, file: string, onError: (e: Error) => void) {
    this.worker = new Worker(path.join(__dirname, 'checkpoint-thread.js'), { workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS } });
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) onError(new Error(`WAL checkpoint failed: ${m.error}`));
    });
    this.worker.on('error', onError);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  }

  async stop(): Promise<void> {
    // Unreferenced so it never keeps a process alive, but a stop waits for the last checkpoint.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
