// HEALTHCHECK of the image: GET /healthz on the container's own port (HTTPS when SOGS_TLS is on;
// the certificate is for the public name, so it is not verified for this loopback request).
'use strict';
const tls = /^(y|yes|true|on|1)$/i.test(process.env.SOGS_TLS || '');
const mod = require(tls ? 'node:https' : 'node:http');
const port = Number(process.env.SOGS_PORT || 80);
const req = mod.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 4000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
