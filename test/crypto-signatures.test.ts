// Request and message signatures against the spec's vectors (docs/protocol/crypto.md): request auth headers and
// their decoding, strict base64, message signatures, the signing path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountFromSeed,
  blake2b,
  blindedKeys,
  decodeAuthPubkey,
  decodeBase64Strict,
  decodeNonce,
  decodeSignatureHeader,
  ed25519PkToX25519,
  encodeBase64,
  isValidEd25519Point,
  parseAuthTimestamp,
  requestSigningMessage,
  signBlinded,
  signEd25519,
  signingPath,
  signMessage05,
  signRequestHeaders,
  verifyEd25519,
  verifyMessageSignature,
} from '../src/crypto';
import { hex, loadVectors, seedByName, utf8 } from './helpers/vectors';

const V = loadVectors();

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

test('message_signature', () => {
  const m = V.message_signature;
  const data = hex(m.data_hex);
  assert.deepEqual(decodeBase64Strict(m.data_base64), data);
  const blindedSig = decodeBase64Strict(m.blinded.signature_base64)!;
  const unblindedSig = decodeBase64Strict(m.unblinded.signature_base64)!;
  assert.equal(verifyMessageSignature(m.blinded.session_id, data, blindedSig), true);
  assert.equal(verifyMessageSignature(m.unblinded.session_id, data, unblindedSig), true);
  assert.equal(unblindedSig[63]! >> 7, m.unblinded.ed25519_pubkey_sign_bit);

  const acct = accountFromSeed(hex(seedByName(V, 'auth-example')));
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
  const acct = accountFromSeed(hex(seedByName(V, 'libsession-seed1')));
  const data = utf8('hi\x80');
  const sig = signMessage05(acct, data);
  assert.equal(sig[63]! & 0x80, 0);
  assert.equal(verifyMessageSignature(acct.sessionId, data, sig), true);
  // a 05 signature is an ordinary Ed25519 signature once the sign bit is cleared
  assert.equal(verifyEd25519(sig, data, hex(V.id_conversion[1].ed25519_pubkey)), true);
});

test('signingPath', () => {
  assert.equal(signingPath('/room/x/messages/recent?limit=25'), '/room/x/messages/recent?limit=25');
  assert.equal(signingPath('/a%20b?q=%20'), '/a b?q=%20');
  assert.equal(signingPath('/a?'), '/a');
  assert.equal(signingPath('/raw/❤️'), '/raw/❤️');
  assert.equal(signingPath('/bad%zz'), null);
  assert.equal(signingPath('/bad%ff'), null);
});
