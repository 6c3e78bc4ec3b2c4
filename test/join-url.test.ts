// The public base URL of join links, web pages and QR codes when baseUrl is not set: the machine's
// primary address (Session's join parser refuses `localhost`, and nobody else can reach it), the
// published port, and a warning that says how to set it.
import assert from 'node:assert/strict';
import type os from 'node:os';
import { describe, it } from 'node:test';
import { httpRequest } from '../client';
import { defaultConfig, describePublicUrl, loadConfig, primaryAddress, type Config } from '../src/config';
import { qrPng } from '../src/web/qr';
import { startTestServer } from './helpers/server';

type Ifaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

const addr = (address: string, family: 'IPv4' | 'IPv6', internal = false): os.NetworkInterfaceInfo =>
  (family === 'IPv4'
    ? { address, family, internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }
    : { address, family, internal, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 });

const LO: Ifaces = { lo: [addr('127.0.0.1', 'IPv4', true), addr('::1', 'IPv6', true)] };
const config = (over: Partial<Config> = {}): Config => ({ ...defaultConfig(), ...over });

describe('primaryAddress', () => {
  it('takes the first non-internal IPv4 address, else a global IPv6 one, else none', () => {
    assert.equal(primaryAddress({ ...LO, eth0: [addr('fe80::1', 'IPv6'), addr('2001:db8::5', 'IPv6'), addr('192.0.2.7', 'IPv4')] }), '192.0.2.7');
    assert.equal(primaryAddress({ ...LO, eth0: [addr('fe80::1', 'IPv6'), addr('2001:db8::5', 'IPv6')] }), '2001:db8::5');
    assert.equal(primaryAddress({ ...LO, eth0: [addr('fe80::1', 'IPv6')] }), null);
    assert.equal(primaryAddress(LO), null);
  });
});

describe('describePublicUrl', () => {
  const ifaces: Ifaces = { ...LO, eth0: [addr('192.0.2.7', 'IPv4')] };

  it('derives http://ADDRESS:PORT from the primary address when listening on all, and warns how to set baseUrl', () => {
    const u = describePublicUrl(config(), ifaces);
    assert.equal(u.url, 'http://192.0.2.7:9999');
    assert.match(u.warning ?? '', /baseUrl is not set.*http:\/\/192\.0\.2\.7:9999.*--base-url URL, SOGS_BASE_URL or base_url/);
  });

  it('uses publicPort (the published port of a container) instead of port, in the URL only', () => {
    assert.equal(describePublicUrl(config({ port: 80, publicPort: 9999 }), ifaces).url, 'http://192.0.2.7:9999');
    assert.equal(describePublicUrl(config({ port: 80 }), ifaces).url, 'http://192.0.2.7:80');
  });

  it('brackets an IPv6 address and uses https with tls', () => {
    const v6: Ifaces = { ...LO, eth0: [addr('2001:db8::5', 'IPv6')] };
    assert.equal(describePublicUrl(config({ tls: true, host: '::' }), v6).url, 'https://[2001:db8::5]:9999');
  });

  it('falls back to localhost with a warning that clients refuse it', () => {
    const u = describePublicUrl(config(), LO);
    assert.equal(u.url, 'http://localhost:9999');
    assert.match(u.warning ?? '', /no network address besides loopback.*refuse/);
  });

  it('keeps a specific listening address, and a set baseUrl without a warning', () => {
    assert.equal(describePublicUrl(config({ host: '198.51.100.4' }), ifaces).url, 'http://198.51.100.4:9999');
    const set = describePublicUrl(config({ baseUrl: 'https://sogs.example.org/' }), ifaces);
    assert.deepEqual(set, { url: 'https://sogs.example.org', warning: null });
  });

  it('reads publicPort from SOGS_PUBLIC_PORT, --public-port and [net] public_port; refuses one out of range', () => {
    assert.equal(loadConfig([], { SOGS_PUBLIC_PORT: '9999' }).config.publicPort, 9999);
    assert.equal(loadConfig(['--public-port', '8443'], {}).config.publicPort, 8443);
    assert.throws(() => loadConfig(['--public-port', '70000'], {}), /publicPort 70000 is out of range/);
  });
});

describe('nonceRetention below 48 h', () => {
  it('is raised to 172800 with a warning instead of refusing to start', () => {
    const { config: c, warnings } = loadConfig(['--nonce-retention', '86400'], {});
    assert.equal(c.nonceRetention, 172_800);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /nonceRetention 86400 is below the minimum of 172800.*using 172800/);
    assert.deepEqual(loadConfig(['--nonce-retention', '200000'], {}).warnings, []);
  });
});

describe('the room web page and its QR code', () => {
  it('show the join URL the server prints (publicPort included)', async () => {
    const t = await startTestServer({ publicPort: 9999 });
    try {
      const want = `http://127.0.0.1:9999/main?public_key=${t.s.keys.publicKeyHex}`;
      const page = await httpRequest(`${t.url}/r/main`, 'GET', { accept: 'text/html' });
      assert.equal(page.status, 200);
      assert.ok(page.body.toString('utf8').includes(want), 'page shows the join URL');
      const png = await httpRequest(`${t.url}/r/main/invite.png`, 'GET', {});
      assert.equal(png.status, 200);
      assert.deepEqual(png.body, qrPng(want));
    } finally {
      await t.close();
    }
  });
});
