// HTTP over a raw socket, for what a well-behaved client library will not do: declare a body and
// not send it, trickle it, send headers slowly, or keep sending after the server answered.
import net from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawConnection {
  readonly socket: net.Socket;
  private data = Buffer.alloc(0);
  /** Resolves when the server closed (or reset) the connection. */
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.data = Buffer.concat([this.data, c]);
      for (const w of this.waiters.splice(0)) w();
    });
    // A reset after the reply is how a server stops a body it will not read; not a test failure.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  /** Writes unless the server already closed the connection; false when it did. */
  write(chunk: string | Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(chunk);
    return true;
  }

  /** The next complete reply (headers and Content-Length body), or null if the connection closed first. */
  async reply(): Promise<RawReply | null> {
    for (;;) {
      const r = this.parse();
      if (r) return r;
      if (this.socket.destroyed || this.socket.readableEnded) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private parse(): RawReply | null {
    const end = this.data.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.data.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (this.data.length < end + 4 + len) return null;
    const body = this.data.subarray(end + 4, end + 4 + len).toString('utf8');
    this.data = this.data.subarray(end + 4 + len);
    return { status, headers, body };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A request head; `headers` are added after Host. */
export function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  let s = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}

/** X-SOGS-* headers that are present (so admission counts the request as signed) but not valid. */
export const FAKE_SOGS_HEADERS = {
  'X-SOGS-Pubkey': '15' + '00'.repeat(32),
  'X-SOGS-Nonce': 'AAAAAAAAAAAAAAAAAAAAAA==',
  'X-SOGS-Timestamp': '1700000000',
  'X-SOGS-Signature': 'A'.repeat(86) + '==',
};

export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms).unref())]);
}
