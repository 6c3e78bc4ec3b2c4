// A loopback TCP port free at the moment of asking (the embedded PostgreSQL of the test run, and
// tests that start a server process of their own).
//
// Chosen below Linux's ephemeral range (32768-60999) rather than by listening on port 0: the
// tests open thousands of loopback client connections, each on an ephemeral port, and a port the
// kernel handed out as free was sometimes taken by one of them before the server process bound it
// (EADDRINUSE). Random, so that test files and test runs side by side rarely pick the same one.
import net from 'node:net';

const LOW = 10000;
const HIGH = 32000;

function tryPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await tryPort(port)) return port;
  }
  throw new Error(`no free loopback port found between ${LOW} and ${HIGH}`);
}
