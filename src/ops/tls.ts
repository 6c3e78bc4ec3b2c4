// Native TLS (option `tls`): the HTTPS listener's options, its hardening (no client-initiated
// renegotiation), the self-signed certificate warning, and the opt-in plain-HTTP listener
// (`httpRedirectPort`) that only redirects to https://. The API's own port is never a redirect:
// with tls off it serves plain HTTP, which old http:// join links use.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { resolveInDataDir, type Config } from '../config';
import type { Services } from '../domain/services';
import { withSecurityHeaders } from './headers';

/** TLS 1.2+, forward-secret AEAD ciphers only. */
const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export function tlsOptions(config: Config): https.ServerOptions {
  const read = (p: string, what: string): Buffer => {
    const file = resolveInDataDir(config, p);
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`tls is on but the ${what} ${file} cannot be read: ${(e as Error).message}`);
    }
  };
  return {
    cert: read(config.tlsCert, 'certificate (tlsCert)'),
    key: read(config.tlsKey, 'private key (tlsKey)'),
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  };
}

/**
 * Whether the leaf certificate of a PEM chain signs itself. Service nodes verify the certificate
 * of an https:// server they forward onion requests to, so such a server is unreachable for
 * every Session client that uses an https:// join URL.
 */
export function isSelfSigned(pem: Buffer | string): boolean {
  const leaf = new X509Certificate(pem);
  return leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey);
}

/**
 * Hardens the HTTPS listener once it exists: client-initiated renegotiation is refused (node
 * otherwise allows three per 10 minutes before dropping the connection: a cheap way to make the
 * server do expensive handshakes), and a self-signed certificate is reported at start.
 */
export function hardenTls(server: https.Server, s: Services, cert: Buffer | string | undefined): void {
  server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
  if (cert !== undefined && isSelfSigned(cert)) {
    s.log.warn(
      { tlsCert: resolveInDataDir(s.config, s.config.tlsCert) },
      'the TLS certificate is self-signed: browsers warn and Session clients cannot reach an https:// join URL ' +
        '(service nodes verify certificates); use a certificate from a public CA, or http:// join URLs',
    );
  }
}

/**
 * Where a plain-HTTP request is sent: baseUrl's origin when it is https:// (right behind a port
 * mapping or proxy too), else the same host on the port the TLS listener listens on.
 */
export function redirectTarget(baseUrl: string, tlsPort: number, hostHeader: string | undefined, target: string): string | null {
  const pathAndQuery = target.startsWith('/') ? target : '/';
  if (/^https:\/\//i.test(baseUrl)) return new URL(baseUrl).origin + pathAndQuery;
  if (!hostHeader) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return null;
  }
  return `https://${hostname}${tlsPort === 443 ? '' : `:${tlsPort}`}${pathAndQuery}`;
}

/**
 * The opt-in plain-HTTP listener (httpRedirectPort, tls only): every request gets a redirect to
 * https:// with the same host and path, 301 for GET/HEAD and 308 otherwise (which keeps the
 * method and body). It never reads bodies and serves nothing else.
 */
export async function startHttpRedirect(s: Services, host: string, tlsPort: number): Promise<http.Server | null> {
  const port = s.config.httpRedirectPort;
  if (!s.config.tls || port === 0) return null;
  const server = http.createServer((req, res) => {
    const location = redirectTarget(s.config.baseUrl, tlsPort, req.headers.host, req.url ?? '/');
    const status = location === null ? 400 : req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    const body = Buffer.from(location === null ? 'Bad Request: no Host header\n' : `Moved to ${location}\n`);
    const headers: Record<string, string | number> = {
      ...withSecurityHeaders({ 'content-type': 'text/plain; charset=utf-8' }, { hsts: null }),
      'content-length': body.length,
      connection: 'close',
    };
    if (location !== null) headers['location'] = location;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    req.resume();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  s.log.info({ port: (server.address() as import('node:net').AddressInfo).port }, 'plain HTTP redirects to https://');
  return server;
}
