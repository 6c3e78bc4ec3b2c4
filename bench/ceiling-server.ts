// The benchmark's ceiling: a server that does a desktop poll's unavoidable cryptography and
// nothing else (one X25519 and one AES-GCM open of the onion request, one Ed25519 verify, one
// AES-GCM seal of a reply), behind node's HTTP server, in as many processes as the real one.
// Measured with the same load generator on the same cores, it shows how much of the crypto
// floor any node server could reach on this machine, so that the real server's figure can be
// read against what is reachable here and not only against the floor.
// Usage (by bench/run.ts): node ceiling-server.js --data-dir DIR --port N [--workers N]
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sodium from 'sodium-native';
import { x25519PublicKey } from '../src/crypto/keys';
import { onionDecrypt, onionEncrypt, onionSymmetricKey, parseOnionRequest } from '../src/crypto/onion';

/** The plaintext reply's size: about what a desktop poll's reply is while a few writers post. */
const CEILING_REPLY_BYTES = 3000;

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

function serve(dataDir: string, port: number): void {
  const secret = fs.readFileSync(path.join(dataDir, 'key_x25519'));
  const publicKey = x25519PublicKey(secret);
  const edPk = Buffer.alloc(32);
  const edSk = Buffer.alloc(64);
  sodium.crypto_sign_keypair(edPk, edSk);
  const signed = Buffer.alloc(200, 7);
  const sig = Buffer.alloc(64);
  sodium.crypto_sign_detached(sig, signed, edSk);
  const reply = Buffer.alloc(CEILING_REPLY_BYTES, 1);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = parseOnionRequest(Buffer.concat(chunks));
      const key = parsed && onionSymmetricKey(parsed.encType, secret, publicKey, parsed.ephemeralPk);
      const plain = parsed && key && onionDecrypt(parsed.encType, key, parsed.ciphertext);
      if (!parsed || !key || !plain || !sodium.crypto_sign_verify_detached(sig, signed, edPk)) {
        res.writeHead(400, { 'content-length': 0 });
        res.end();
        return;
      }
      const body = onionEncrypt(parsed.encType, key, reply);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => {
    // What bench/server-process.ts waits for before it starts the load.
    if (!cluster.isWorker) console.log(`ceiling server public_key=${publicKey.toString('hex')}`);
    else process.send?.('listening');
  });
}

const dataDir = flag('--data-dir', '.');
const port = Number(flag('--port', '0'));
const workers = Number(flag('--workers', '1'));
if (cluster.isPrimary && workers > 1) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m) => {
      if (m === 'listening' && ++ready === workers) console.log('ceiling server public_key=(workers listening)');
    });
  }
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve(dataDir, port);
}
