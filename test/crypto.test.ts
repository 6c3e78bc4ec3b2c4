// The crypto primitives against the spec's vectors (docs/protocol/crypto.md): HMAC, hashing, the server's
// Ed25519 key, padding, and that every vector group is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addPadding,
  blake2b,
  filterBotKeys,
  removePadding,
  serverEd25519FromX25519Secret,
  systemUserId,
  x25519PublicKey,
} from '../src/crypto';
import { hmacSha256 } from '../src/crypto/hash';
import { hex, loadVectors, utf8 } from './helpers/vectors';
import nodeCrypto from 'node:crypto';

const V = loadVectors();

test('hmacSha256 over libsodium agrees with node for keys shorter than, as long as and longer than a block', () => {
  for (const keyLength of [0, 4, 32, 63, 64, 65, 200]) {
    for (const msgLength of [0, 1, 32, 64, 1000]) {
      const key = nodeCrypto.randomBytes(keyLength);
      const msg = nodeCrypto.randomBytes(msgLength);
      assert.equal(hmacSha256(key, msg).toString('hex'), nodeCrypto.createHmac('sha256', key).update(msg).digest('hex'), `key ${keyLength}, message ${msgLength}`);
    }
  }
});

test('vectors are all verified', () => {
  const walk = (v: any): void => {
    if (v && typeof v === 'object') {
      if ('status' in v && typeof v.status === 'string') assert.equal(v.status, 'verified');
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(V);
});

test('hashing', () => {
  const h = V.hashing;
  assert.equal(blake2b(Buffer.alloc(0), 64).toString('hex'), h.blake2b_512_empty);
  assert.equal(blake2b(utf8('hello 🎂'), 64).toString('hex'), h.blake2b_512_hello_cake);
  const serverPk = hex(V.onion.generated[0].server_pubkey);
  const serverSk = hex(V.onion.generated[0].server_privkey);
  assert.equal(blake2b(serverPk, 32).toString('hex'), h.server_pubkey_blake2b_256);
  assert.notEqual(blake2b(serverPk, 64).subarray(0, 32).toString('hex'), h.server_pubkey_blake2b_256);
  const bot = filterBotKeys('SOGS Bot', serverSk);
  assert.equal(bot.seed.toString('hex'), h.filter_bot_seed);
  assert.equal(bot.sessionId, h.filter_bot_session_id);
  assert.equal(systemUserId(serverPk), h.system_user_session_id);
});

test('server Ed25519 key from the X25519 secret (legacy token key)', () => {
  const p = V.legacy_token.pysogs;
  const kp = serverEd25519FromX25519Secret(hex(p.server_x25519_privkey));
  assert.equal(kp.publicKey.toString('hex'), p.server_ed25519_pubkey_for_token);
  assert.equal(kp.secretKey.length, 64);
  assert.equal(x25519PublicKey(hex(p.server_x25519_privkey)).toString('hex'), p.server_x25519_pubkey);
});

test('padding', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['0a0b', '0a0b'], // not padded
    ['0a0b80', '0a0b'],
    ['0a0b800000', '0a0b'],
    ['80', ''],
    ['8000', ''],
    ['000000', '000000'], // all zeros: no 0x80 marker, so untouched
    ['0a0000', '0a0000'], // zeros without marker: untouched (zeros are not stripped)
    ['0a8080', '0a80'], // only one 0x80 is padding
    ['0a80000a', '0a80000a'],
    [V.message_signature.data_hex, '0a0c0a0a68656c6c6f20776f726c64'],
  ];
  for (const [input, expected] of cases) {
    const out = removePadding(hex(input));
    assert.equal(out.toString('hex'), expected, `removePadding(${input})`);
    assert.equal(addPadding(out, input.length / 2).toString('hex'), input, `round trip ${input}`);
  }
  assert.equal(addPadding(hex('0a0b'), 2).toString('hex'), '0a0b');
  assert.equal(addPadding(hex('0a0b'), 1).toString('hex'), '0a0b');
  assert.equal(addPadding(hex(''), 3).toString('hex'), '800000');
});
