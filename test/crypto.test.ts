import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountFromSeed,
  addPadding,
  blake2b,
  blind25Factor,
  blind25Id,
  blindedAbs,
  blindedIdCandidates,
  blindedKeys,
  blindingFactor,
  decodeAuthPubkey,
  decodeBase64Strict,
  decodeNonce,
  decodeSignatureHeader,
  ed25519PkToX25519,
  encodeBase64,
  filterBotKeys,
  isValidEd25519Point,
  parseAuthTimestamp,
  parseSessionId,
  removePadding,
  requestSigningMessage,
  serverEd25519FromX25519Secret,
  signBlinded,
  signEd25519,
  signingPath,
  signMessage05,
  signRequestHeaders,
  systemUserId,
  verifyEd25519,
  verifyMessageSignature,
  x25519PkToEd25519Positive,
  x25519PublicKey,
} from '../src/crypto';
import { hmacSha256 } from '../src/crypto/hash';
import { loadVectors } from './helpers/vectors';
import nodeCrypto from 'node:crypto';


const V = loadVectors();
const hex = (s: string) => Buffer.from(s, 'hex');
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const seedByName = (name: string): string => V.id_conversion.find((c: any) => c.name === name).ed25519_seed;

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

test('id_conversion', async (t) => {
  for (const c of V.id_conversion) {
    await t.test(c.name, () => {
      const acct = accountFromSeed(hex(c.ed25519_seed));
      assert.equal(acct.edPk.toString('hex'), c.ed25519_pubkey);
      assert.equal(acct.edPk[31]! >> 7, c.ed25519_pubkey_sign_bit);
      assert.equal(acct.xSk.toString('hex'), c.x25519_privkey);
      assert.equal(acct.xPk.toString('hex'), c.x25519_pubkey);
      assert.equal(x25519PublicKey(hex(c.x25519_privkey)).toString('hex'), c.x25519_pubkey);
      assert.equal(acct.sessionId, c.session_id);
      assert.equal('00' + acct.edPk.toString('hex'), c.unblinded_auth_pubkey);
      assert.equal(ed25519PkToX25519(hex(c.ed25519_pubkey))!.toString('hex'), c.x25519_pubkey);
      assert.equal(x25519PkToEd25519Positive(hex(c.x25519_pubkey)).toString('hex'), c.xed25519_pubkey_from_x25519);
      // bit 255 of the input must be ignored
      const withHighBit = hex(c.x25519_pubkey);
      withHighBit[31]! |= 0x80;
      assert.equal(x25519PkToEd25519Positive(withHighBit).toString('hex'), c.xed25519_pubkey_from_x25519);
      assert.equal(acct.sessionId, c.session_id);
      const parsed = parseSessionId(c.session_id.toUpperCase());
      assert.equal(parsed.prefix, '05');
      assert.equal(parsed.key.toString('hex'), c.x25519_pubkey);
    });
  }
});

test('blind15_pysogs', async (t) => {
  const g = V.blind15_pysogs;
  const serverPk = hex(g.server_pubkey);
  assert.equal(blake2b(serverPk, 64).toString('hex'), g.blake2b512_of_server_pubkey);
  assert.equal(blindingFactor(serverPk).toString('hex'), g.blinding_factor_k);
  assert.equal(g.cases.length, 20);
  for (const [i, c] of g.cases.entries()) {
    await t.test(`case ${i}`, () => {
      const acct = accountFromSeed(hex(c.ed25519_seed));
      assert.equal(acct.sessionId, c.session_id);
      assert.equal(acct.edPk[31]! >> 7, c.ed25519_pubkey_sign_bit);
      const keys = blindedKeys(acct, serverPk);
      assert.equal(keys.ka.toString('hex'), c.blinded_secret_scalar_ka);
      assert.equal(keys.blindedId, c.blinded_id_actual);
      assert.equal(keys.kA.toString('hex'), c.blinded_id_actual.slice(2));
      const cand = blindedIdCandidates(c.session_id, serverPk);
      assert.equal(cand.pos, c.blinded_id_positive);
      assert.equal(cand.neg, c.blinded_id_negative);
      assert.equal(blindedAbs(c.blinded_id_actual), c.blinded_id_positive);
      assert.equal(blindedAbs(c.blinded_id_negative.toUpperCase()), c.blinded_id_positive);
    });
  }
});

test('blindingFactor returns a fresh copy from its cache', () => {
  const serverPk = hex(V.blind15_pysogs.server_pubkey);
  blindingFactor(serverPk).fill(0);
  assert.equal(blindingFactor(serverPk).toString('hex'), V.blind15_pysogs.blinding_factor_k);
});

test('blind15_25_libsession', async (t) => {
  for (const c of V.blind15_25_libsession) {
    await t.test(c.name, () => {
      const serverPk = hex(c.server_pubkey);
      const cand = blindedIdCandidates(c.session_id, serverPk);
      assert.deepEqual(new Set([cand.pos, cand.neg]), new Set([c.blind15_id_from_session_id, c.blind15_id_alternate]));
      assert.ok(parseInt(cand.pos[64]!, 16) < 8);
      assert.ok(parseInt(cand.neg[64]!, 16) >= 8);
      const acct = accountFromSeed(hex(seedByName(c.name)));
      assert.equal(acct.sessionId, c.session_id);
      assert.equal(blindedKeys(acct, serverPk).blindedId, c.blind15_id_actual_keypair);
      assert.equal(blind25Factor(c.session_id, serverPk).toString('hex'), c.blind25_factor);
      assert.equal(blind25Id(c.session_id, serverPk), c.blind25_id);
    });
  }
});

test('blind15_sign_libsession: all six verify under the blinded key', async (t) => {
  assert.equal(V.blind15_sign_libsession.length, 6);
  for (const [i, c] of V.blind15_sign_libsession.entries()) {
    await t.test(`case ${i} (${JSON.stringify(c.message_utf8)})`, () => {
      const sk = hex(c.ed25519_secret_key);
      const acct = accountFromSeed(sk.subarray(0, 32));
      assert.deepEqual(acct.edSk, sk);
      const keys = blindedKeys(acct, hex(c.server_pubkey));
      assert.equal(keys.blindedId, c.blinded_pubkey);
      const pk = parseSessionId(c.blinded_pubkey).key;
      assert.equal(verifyEd25519(hex(c.signature), utf8(c.message_utf8), pk), true);
      assert.equal(verifyMessageSignature(c.blinded_pubkey, utf8(c.message_utf8), hex(c.signature)), true);
      assert.equal(verifyEd25519(hex(c.signature), utf8(c.message_utf8 + '!'), pk), false);
      // our (desktop-variant) signature differs in R but verifies under the same key
      const ours = signBlinded(acct, keys, utf8(c.message_utf8));
      assert.equal(verifyEd25519(ours, utf8(c.message_utf8), pk), true);
    });
  }
});

test('request_auth', async (t) => {
  assert.equal(V.request_auth.length, 7);
  for (const [i, c] of V.request_auth.entries()) {
    await t.test(`case ${i}: ${c.method} ${c.path} blinded=${c.blinded} body=${c.body_utf8 !== null}`, () => {
      const acct = accountFromSeed(hex(c.ed25519_seed));
      const serverPk = hex(c.server_pubkey);
      const h = c.headers;
      const nonce = decodeNonce(h['X-SOGS-Nonce'])!;
      assert.equal(nonce.toString('hex'), c.nonce_hex);
      assert.equal(decodeNonce(c.nonce_hex)!.toString('hex'), c.nonce_hex);
      assert.equal(parseAuthTimestamp(h['X-SOGS-Timestamp']), c.timestamp);
      const body = c.body_utf8 === null ? Buffer.alloc(0) : utf8(c.body_utf8);
      if (c.body_blake2b_512) assert.equal(blake2b(body, 64).toString('hex'), c.body_blake2b_512);
      if (c.path_as_sent_on_wire) assert.equal(signingPath(c.path_as_sent_on_wire), c.path);
      const msg = requestSigningMessage(serverPk, nonce, h['X-SOGS-Timestamp'], c.method, c.path, body);
      assert.equal(msg.toString('hex'), c.signed_message_hex);

      const pub = decodeAuthPubkey(h['X-SOGS-Pubkey'])!;
      assert.equal(pub[0], c.blinded ? 0x15 : 0x00);
      assert.ok(isValidEd25519Point(pub.subarray(1)));
      const sig = decodeSignatureHeader(h['X-SOGS-Signature'])!;
      assert.equal(verifyEd25519(sig, msg, pub.subarray(1)), true);
      const tampered = Buffer.from(sig);
      tampered[5]! ^= 1;
      assert.equal(verifyEd25519(tampered, msg, pub.subarray(1)), false);

      if (c.blinded) {
        const keys = blindedKeys(acct, serverPk);
        assert.equal(keys.blindedId, h['X-SOGS-Pubkey']);
        assert.equal(encodeBase64(signBlinded(acct, keys, msg)), h['X-SOGS-Signature']);
      } else {
        assert.equal('00' + acct.edPk.toString('hex'), h['X-SOGS-Pubkey']);
        assert.equal(ed25519PkToX25519(pub.subarray(1))!.toString('hex'), acct.xPk.toString('hex'));
        assert.equal(encodeBase64(signEd25519(acct.edSk, msg)), h['X-SOGS-Signature']);
      }
      const built = signRequestHeaders({
        account: acct,
        blinded: c.blinded,
        serverPk,
        method: c.method,
        path: c.path,
        body: c.body_utf8 === null ? undefined : body,
        timestamp: c.timestamp,
        nonce: hex(c.nonce_hex),
      });
      assert.deepEqual(built, h);
    });
  }
});

test('signRequestHeaders defaults: random 16-byte nonce, current time, 24/88-char base64', () => {
  const c = V.request_auth[0];
  const acct = accountFromSeed(hex(c.ed25519_seed));
  const serverPk = hex(c.server_pubkey);
  const before = Math.floor(Date.now() / 1000);
  const h = signRequestHeaders({ account: acct, blinded: true, serverPk, method: 'GET', path: '/capabilities' });
  assert.equal(h['X-SOGS-Nonce']!.length, 24);
  assert.equal(h['X-SOGS-Signature']!.length, 88);
  assert.equal(h['X-SOGS-Pubkey'], c.headers['X-SOGS-Pubkey']);
  const ts = parseAuthTimestamp(h['X-SOGS-Timestamp']!)!;
  assert.ok(ts >= before && ts <= before + 5);
  const msg = requestSigningMessage(serverPk, decodeNonce(h['X-SOGS-Nonce']!)!, h['X-SOGS-Timestamp']!, 'GET', '/capabilities', Buffer.alloc(0));
  assert.ok(verifyEd25519(decodeSignatureHeader(h['X-SOGS-Signature']!)!, msg, hex(c.headers['X-SOGS-Pubkey'].slice(2))));
});

test('header decoding: accepted encodings', () => {
  const c = V.request_auth[0];
  const nonceHex: string = c.nonce_hex;
  const nonceB64: string = c.headers['X-SOGS-Nonce'];
  assert.equal(decodeNonce(nonceB64.replace(/=+$/, ''))!.toString('hex'), nonceHex); // 22 chars
  assert.equal(decodeNonce(nonceB64.slice(0, 23))!.toString('hex'), nonceHex); // 23, one '='
  assert.equal(decodeNonce(nonceHex.toUpperCase())!.toString('hex'), nonceHex);
  const sigB64: string = c.headers['X-SOGS-Signature'];
  const sigHex = Buffer.from(sigB64, 'base64').toString('hex');
  assert.equal(decodeSignatureHeader(sigB64.replace(/=+$/, ''))!.toString('hex'), sigHex); // 86
  assert.equal(decodeSignatureHeader(sigB64.slice(0, 87))!.toString('hex'), sigHex); // 87
  assert.equal(decodeSignatureHeader(sigHex)!.toString('hex'), sigHex);
  const pk: string = c.headers['X-SOGS-Pubkey'];
  const pkB64 = Buffer.from(pk, 'hex').toString('base64');
  assert.equal(pkB64.length, 44);
  assert.equal(decodeAuthPubkey(pkB64)!.toString('hex'), pk);
  assert.equal(decodeAuthPubkey(pk.toUpperCase())!.toString('hex'), pk);
});

test('header decoding: rejected encodings', () => {
  const nonceB64: string = V.request_auth[0].headers['X-SOGS-Nonce'];
  const nonceHex: string = V.request_auth[0].nonce_hex;
  for (const bad of [
    nonceB64 + '=', // 25 chars
    nonceB64.slice(0, 21), // 21 chars
    nonceB64.slice(0, 22) + '=A', // '=' not at the end
    nonceB64.slice(0, 20) + '====', // too much padding
    nonceHex.slice(0, 31),
    nonceHex.slice(0, 30),
    nonceHex + 'ab',
    nonceHex.slice(0, 31) + 'g', // 32 chars, not hex
    nonceB64.slice(0, 22).replace(/./, '-') + '==', // url-safe alphabet
    nonceB64.slice(0, 22).replace(/./, '_'),
    'AAAAAAAAAAAAAAAAAAAAAAA', // 23 data chars: 17 bytes
    '',
  ]) {
    assert.equal(decodeNonce(bad), null, `nonce ${JSON.stringify(bad)} should be rejected`);
  }
  const sigB64: string = V.request_auth[0].headers['X-SOGS-Signature'];
  for (const bad of [sigB64 + '=', sigB64.slice(0, 85), sigB64.slice(0, 86) + '=A', 'ab'.repeat(63), 'ab'.repeat(65), 'zz'.repeat(64)]) {
    assert.equal(decodeSignatureHeader(bad), null, `signature ${JSON.stringify(bad)} should be rejected`);
  }
  const pk: string = V.request_auth[0].headers['X-SOGS-Pubkey'];
  for (const bad of [pk.slice(0, 64), pk + '00', pk.slice(0, 65) + 'x', Buffer.from(pk, 'hex').toString('base64').slice(0, 43)]) {
    assert.equal(decodeAuthPubkey(bad), null, `pubkey ${JSON.stringify(bad)} should be rejected`);
  }
  for (const bad of ['', '1.5', '1e9', '0x10', ' 1642472103', '1642472103 ', '+1', 'abc', '99999999999999999999']) {
    assert.equal(parseAuthTimestamp(bad), null, `timestamp ${JSON.stringify(bad)} should be rejected`);
  }
});

test('base64 strict decoding', () => {
  assert.deepEqual(decodeBase64Strict('aGVsbG8='), utf8('hello'));
  assert.deepEqual(decodeBase64Strict('aGVsbG8'), utf8('hello'));
  assert.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
  assert.deepEqual(decodeBase64Strict('+/+/'), Buffer.from([0xfb, 0xff, 0xbf]));
  for (const bad of ['aGVsbG8==', 'aGVsbG8=x', 'aGV=sbG8', 'aGVsb', '-_-_', 'aGVs bG8=', '=', 'a===']) {
    assert.equal(decodeBase64Strict(bad), null, `${JSON.stringify(bad)} should be rejected`);
  }
  assert.equal(encodeBase64(utf8('hello')), 'aGVsbG8=');
});

test('points and ids: invalid input is rejected', () => {
  const good = hex(V.id_conversion[0].ed25519_pubkey);
  assert.equal(isValidEd25519Point(good), true);
  assert.equal(isValidEd25519Point(Buffer.alloc(32)), false); // y = 0: not on the curve's subgroup
  const identity = Buffer.alloc(32);
  identity[0] = 1; // (0, 1): small order
  assert.equal(isValidEd25519Point(identity), false);
  const nonCanonical = Buffer.alloc(32, 0xff);
  nonCanonical[31] = 0x7f; // y = 2^255 - 1 ≥ p
  assert.equal(isValidEd25519Point(nonCanonical), false);
  const order8 = hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  assert.equal(isValidEd25519Point(order8), false);
  assert.equal(isValidEd25519Point(good.subarray(0, 31)), false);
  assert.equal(ed25519PkToX25519(identity), null);
  assert.equal(ed25519PkToX25519(order8), null);
  assert.equal(ed25519PkToX25519(good.subarray(1)), null);

  assert.throws(() => parseSessionId('05' + 'ab'.repeat(31)), /66 hex/);
  assert.throws(() => parseSessionId('05' + 'zz'.repeat(32)), /hex/);
  assert.throws(() => blindedIdCandidates(V.request_auth[0].headers['X-SOGS-Pubkey'], good), /05/);
  // u = 1 maps to y = 0, which is not a valid point; libsodium refuses the multiplication
  assert.throws(() => blindedIdCandidates('05' + '01'.padEnd(64, '0'), good), /invalid/);
  assert.throws(() => blindedAbs('15abc'));
});

test('systemUserId', () => {
  assert.equal(systemUserId(hex(V.onion.generated[0].server_pubkey)), V.hashing.system_user_session_id);
});

test('message_signature', () => {
  const m = V.message_signature;
  const data = hex(m.data_hex);
  assert.deepEqual(decodeBase64Strict(m.data_base64), data);
  const blindedSig = decodeBase64Strict(m.blinded.signature_base64)!;
  const unblindedSig = decodeBase64Strict(m.unblinded.signature_base64)!;
  assert.equal(verifyMessageSignature(m.blinded.session_id, data, blindedSig), true);
  assert.equal(verifyMessageSignature(m.unblinded.session_id, data, unblindedSig), true);
  assert.equal(unblindedSig[63]! >> 7, m.unblinded.ed25519_pubkey_sign_bit);

  const acct = accountFromSeed(hex(seedByName('auth-example')));
  assert.equal(acct.sessionId, m.unblinded.session_id);
  assert.equal(encodeBase64(signMessage05(acct, data)), m.unblinded.signature_base64);
  const keys = blindedKeys(acct, hex(m.server_pubkey));
  assert.equal(keys.blindedId, m.blinded.session_id);
  assert.equal(encodeBase64(signBlinded(acct, keys, data)), m.blinded.signature_base64);

  // tampering: data, signature, the smuggled sign bit, and the sender all matter
  const tData = Buffer.from(data);
  tData[0]! ^= 1;
  assert.equal(verifyMessageSignature(m.unblinded.session_id, tData, unblindedSig), false);
  assert.equal(verifyMessageSignature(m.blinded.session_id, tData, blindedSig), false);
  const flipped = Buffer.from(unblindedSig);
  flipped[63]! ^= 0x80;
  assert.equal(verifyMessageSignature(m.unblinded.session_id, data, flipped), false);
  assert.equal(verifyMessageSignature(m.blinded.session_id, data, unblindedSig), false);
  assert.equal(verifyMessageSignature(m.unblinded.session_id, data, blindedSig), false);
  assert.equal(verifyMessageSignature('00' + acct.edPk.toString('hex'), data, unblindedSig), false);
  assert.equal(verifyMessageSignature(m.unblinded.session_id, data, unblindedSig.subarray(0, 63)), false);
  assert.equal(verifyMessageSignature('nonsense', data, unblindedSig), false);
});

test('message signatures for positive-key 05 accounts carry no sign bit', () => {
  const acct = accountFromSeed(hex(seedByName('libsession-seed1')));
  const data = utf8('hi\x80');
  const sig = signMessage05(acct, data);
  assert.equal(sig[63]! & 0x80, 0);
  assert.equal(verifyMessageSignature(acct.sessionId, data, sig), true);
  // a 05 signature is an ordinary Ed25519 signature once the sign bit is cleared
  assert.equal(verifyEd25519(sig, data, hex(V.id_conversion[1].ed25519_pubkey)), true);
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

test('signingPath', () => {
  assert.equal(signingPath('/room/x/messages/recent?limit=25'), '/room/x/messages/recent?limit=25');
  assert.equal(signingPath('/a%20b?q=%20'), '/a b?q=%20');
  assert.equal(signingPath('/a?'), '/a');
  assert.equal(signingPath('/raw/❤️'), '/raw/❤️');
  assert.equal(signingPath('/bad%zz'), null);
  assert.equal(signingPath('/bad%ff'), null);
});
