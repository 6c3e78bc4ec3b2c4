import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bdecodeList,
  bencodeList,
  buildOnionRequestBody,
  decodeBase64Strict,
  decodeNonce,
  decodePysogsAuthorization,
  decodeSignatureHeader,
  decryptLegacyChallenge,
  encodeBase64,
  encryptLegacyChallenge,
  legacyChallengeJson,
  legacyChallengeKey,
  makePysogsToken,
  onionDecrypt,
  onionEncrypt,
  onionKeyFromShared,
  onionSymmetricKey,
  parseEncType,
  parseEphemeralKey,
  parseOnionFrame,
  parseOnionRequest,
  pysogsTokenPublicKey,
  requestSigningMessage,
  serverEd25519FromX25519Secret,
  signEd25519,
  verifyEd25519,
  verifyPysogsToken,
  x25519PublicKey,
} from '../src/crypto';
import { hex, loadVectors, utf8 } from './helpers/vectors';


const V = loadVectors();

test('onion.libsession_hop: key derivation and raw ciphertexts', () => {
  const h = V.onion.libsession_hop;
  const serverSk = hex(h.server_privkey);
  const serverPk = hex(h.server_pubkey);
  const eph = hex(h.client_ephemeral_pubkey);
  assert.equal(x25519PublicKey(serverSk).toString('hex'), h.server_pubkey);
  const gcmKey = onionSymmetricKey('aes-gcm', serverSk, serverPk, eph);
  const xchachaKey = onionSymmetricKey('xchacha20', serverSk, serverPk, eph);
  assert.equal(gcmKey.toString('hex'), h.aes_gcm_key);
  assert.equal(xchachaKey.toString('hex'), h.xchacha20_key);
  assert.equal(onionDecrypt('aes-gcm', gcmKey, hex(h.aes_gcm_ciphertext))!.toString('utf8'), h.plaintext_utf8);
  assert.equal(onionDecrypt('xchacha20', xchachaKey, hex(h.xchacha20_ciphertext))!.toString('utf8'), h.plaintext_utf8);
  // wrong key / wrong cipher / tampering → null, never throws
  assert.equal(onionDecrypt('aes-gcm', xchachaKey, hex(h.aes_gcm_ciphertext)), null);
  assert.equal(onionDecrypt('xchacha20', gcmKey, hex(h.xchacha20_ciphertext)), null);
  const tampered = hex(h.aes_gcm_ciphertext);
  tampered[tampered.length - 1]! ^= 1;
  assert.equal(onionDecrypt('aes-gcm', gcmKey, tampered), null);
  assert.equal(onionDecrypt('aes-gcm', gcmKey, Buffer.alloc(27)), null);
  assert.equal(onionDecrypt('xchacha20', xchachaKey, Buffer.alloc(39)), null);
});

test('onion.libsession_parser: complete framed bodies', async (t) => {
  const p = V.onion.libsession_parser;
  const serverSk = hex(p.server_privkey);
  const serverPk = hex(p.server_pubkey);
  assert.equal(x25519PublicKey(hex(p.client_ephemeral_privkey)).toString('hex'), p.client_ephemeral_pubkey);
  for (const [field, encType] of [['payload_aes_gcm', 'aes-gcm'], ['payload_xchacha20', 'xchacha20']] as const) {
    await t.test(encType, () => {
      const req = parseOnionRequest(hex(p[field]))!;
      assert.ok(req);
      assert.equal(req.encType, encType);
      assert.equal(req.ephemeralPk.toString('hex'), p.client_ephemeral_pubkey);
      const key = onionSymmetricKey(req.encType, serverSk, serverPk, req.ephemeralPk);
      assert.equal(onionDecrypt(req.encType, key, req.ciphertext)!.toString('utf8'), p.plaintext_utf8);
    });
  }
});

for (const [i, g] of (V.onion.generated as any[]).entries()) {
  test(`onion.generated[${i}]: ${g.label}`, () => {
    const serverSk = hex(g.server_privkey);
    const serverPk = hex(g.server_pubkey);
    const isV4 = g.endpoint === '/oxen/v4/lsrpc';
    const expectedEnc = g.enc_type === 'xchacha20' ? 'xchacha20' : 'aes-gcm';
    const body = hex(g.http_request_body_hex);

    // server side: frame → meta → key → plaintext
    const frame = parseOnionFrame(body)!;
    assert.equal(frame.meta.toString('utf8'), g.outer_json_utf8);
    const req = parseOnionRequest(body)!;
    assert.equal(req.encType, expectedEnc);
    assert.equal(req.ephemeralPk.toString('hex'), g.client_ephemeral_pubkey);
    const key = onionSymmetricKey(req.encType, serverSk, serverPk, req.ephemeralPk);
    assert.equal(key.toString('hex'), g.symmetric_key);
    assert.equal(req.ciphertext.subarray(0, g.request_iv_or_nonce.length / 2).toString('hex'), g.request_iv_or_nonce);
    const plaintext = onionDecrypt(req.encType, key, req.ciphertext)!;
    assert.equal(plaintext.toString('hex'), g.inner_plaintext_hex);
    assert.equal(plaintext.toString('utf8'), g.inner_plaintext_utf8);

    // client side reproduces the exact request body from the fixed ephemeral key and IV
    const routing = JSON.parse(g.outer_json_utf8);
    const { ephemeral_key: _eph, enc_type: encTypeField, ...outerFields } = routing;
    const built = buildOnionRequestBody({
      serverPk,
      plaintext: hex(g.inner_plaintext_hex),
      encType: expectedEnc,
      ephemeralSk: hex(g.client_ephemeral_privkey),
      iv: hex(g.request_iv_or_nonce),
      includeEncType: encTypeField !== undefined,
      outerFields,
    });
    assert.equal(built.body.toString('hex'), g.http_request_body_hex);
    assert.equal(built.key.toString('hex'), g.symmetric_key);

    // the inner request
    let meta: any;
    let innerBody: Buffer = Buffer.alloc(0);
    if (isV4) {
      const parts = bdecodeList(plaintext, 2)!;
      assert.ok(parts && parts.length >= 1);
      assert.deepEqual(bencodeList(parts), plaintext);
      meta = JSON.parse(parts[0]!.toString('utf8'));
      if (parts[1]) innerBody = parts[1];
    } else {
      meta = JSON.parse(plaintext.toString('utf8'));
      if (typeof meta.body === 'string') innerBody = utf8(meta.body);
    }
    // the X-SOGS headers inside were signed for this server
    const h = meta.headers;
    const msg = requestSigningMessage(serverPk, decodeNonce(h['X-SOGS-Nonce'])!, h['X-SOGS-Timestamp'], meta.method, meta.endpoint, innerBody);
    assert.equal(verifyEd25519(decodeSignatureHeader(h['X-SOGS-Signature'])!, msg, hex(h['X-SOGS-Pubkey'].slice(2))), true);

    // the response, with the fixed IV/nonce
    const respIv = hex(g.response_iv_or_nonce);
    const respPlain = utf8(g.response_plaintext_utf8);
    const encrypted = onionEncrypt(req.encType, key, respPlain, respIv);
    if (isV4) {
      assert.equal(encrypted.toString('hex'), g.http_response_body_hex);
      const respParts = bdecodeList(respPlain, 2)!;
      assert.equal(respParts.length, 2);
      assert.deepEqual(bencodeList(respParts), respPlain);
      assert.equal(JSON.parse(respParts[0]!.toString('utf8')).code, i === 0 ? 200 : 201);
    } else {
      assert.equal(encodeBase64(encrypted), g.http_response_body_base64);
      const err = onionEncrypt(req.encType, key, utf8(g.error_response_plaintext_utf8), respIv);
      assert.equal(encodeBase64(err), g.error_http_response_body_base64);
    }
    // and the client can open it
    assert.deepEqual(onionDecrypt(req.encType, built.key, encrypted), respPlain);
  });
}

test('onion framing: malformed bodies', () => {
  assert.equal(parseOnionFrame(Buffer.alloc(0)), null);
  assert.equal(parseOnionFrame(Buffer.from([1, 0, 0])), null);
  assert.equal(parseOnionFrame(Buffer.from([5, 0, 0, 0, 1, 2, 3, 4])), null); // N exceeds body
  assert.equal(parseOnionFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 1])), null);
  const exact = parseOnionFrame(Buffer.from([2, 0, 0, 0, 9, 9]))!;
  assert.deepEqual(exact.ciphertext, Buffer.from([9, 9]));
  assert.equal(exact.meta.length, 0);

  const frame = (meta: string) => Buffer.concat([Buffer.from([1, 0, 0, 0, 0xaa]), utf8(meta)]);
  const eph = V.onion.generated[0].client_ephemeral_pubkey;
  assert.ok(parseOnionRequest(frame(JSON.stringify({ ephemeral_key: eph }))));
  assert.equal(parseOnionRequest(frame('')), null);
  assert.equal(parseOnionRequest(frame('not json')), null);
  assert.equal(parseOnionRequest(frame('[]')), null);
  assert.equal(parseOnionRequest(frame('{}')), null);
  assert.equal(parseOnionRequest(frame(JSON.stringify({ ephemeral_key: eph.slice(2) }))), null);
  assert.equal(parseOnionRequest(frame(JSON.stringify({ ephemeral_key: eph, enc_type: 'rot13' }))), null);
  assert.equal(parseOnionRequest(frame(JSON.stringify({ ephemeral_key: eph, enc_type: null }))), null);
});

test('parseEncType and parseEphemeralKey', () => {
  assert.equal(parseEncType(undefined), 'aes-gcm');
  assert.equal(parseEncType('aes-gcm'), 'aes-gcm');
  assert.equal(parseEncType('gcm'), 'aes-gcm');
  assert.equal(parseEncType('xchacha20'), 'xchacha20');
  assert.equal(parseEncType('xchacha20-poly1305'), 'xchacha20');
  assert.equal(parseEncType('aes-cbc'), 'aes-cbc');
  assert.equal(parseEncType('cbc'), 'aes-cbc');
  for (const bad of [null, '', 'AES-GCM', 'chacha20', 1, {}]) assert.equal(parseEncType(bad), null);

  const ephHex: string = V.onion.generated[0].client_ephemeral_pubkey;
  const ephB64 = hex(ephHex).toString('base64');
  assert.equal(parseEphemeralKey(ephHex)!.toString('hex'), ephHex);
  assert.equal(parseEphemeralKey(ephHex.toUpperCase())!.toString('hex'), ephHex);
  assert.equal(parseEphemeralKey(ephB64)!.toString('hex'), ephHex);
  assert.equal(parseEphemeralKey(ephB64.replace(/=$/, ''))!.toString('hex'), ephHex);
  assert.equal(parseEphemeralKey(hex(ephHex))!.toString('hex'), ephHex);
  for (const bad of [ephHex.slice(1), ephHex + '0', ephHex.slice(0, 63) + 'g', 'x'.repeat(44), 42, null, undefined, Buffer.alloc(31)]) {
    assert.equal(parseEphemeralKey(bad), null);
  }
});

test('onion: low-order ephemeral key throws instead of yielding an all-zero secret', () => {
  const g = V.onion.generated[0];
  assert.throws(() => onionSymmetricKey('aes-gcm', hex(g.server_privkey), hex(g.server_pubkey), Buffer.alloc(32)));
});

test('onion: aes-cbc reference cipher round trip and failures', () => {
  const shared = hex(V.onion.libsession_hop.aes_gcm_key);
  const key = onionKeyFromShared('aes-cbc', shared, Buffer.alloc(32), Buffer.alloc(32));
  assert.deepEqual(key, shared); // aes-cbc uses the shared secret itself
  const iv = Buffer.alloc(16, 7);
  const ct = onionEncrypt('aes-cbc', key, utf8('Hello world'), iv);
  assert.equal(ct.length, 32);
  assert.deepEqual(ct.subarray(0, 16), iv);
  assert.equal(onionDecrypt('aes-cbc', key, ct)!.toString('utf8'), 'Hello world');
  assert.equal(onionDecrypt('aes-cbc', key, ct.subarray(0, 31)), null);
  assert.equal(onionDecrypt('aes-cbc', Buffer.alloc(32, 1), ct), null); // bad PKCS#7 padding (overwhelmingly likely)
  assert.throws(() => onionEncrypt('aes-gcm', key, utf8('x'), Buffer.alloc(16)), /12-byte/);
});

test('buildOnionRequestBody defaults: random ephemeral key, enc_type only when not aes-gcm', () => {
  const g = V.onion.generated[0];
  const serverSk = hex(g.server_privkey);
  const serverPk = hex(g.server_pubkey);
  for (const encType of ['aes-gcm', 'xchacha20'] as const) {
    const { body, key } = buildOnionRequestBody({ serverPk, plaintext: utf8('ping'), encType });
    const req = parseOnionRequest(body)!;
    assert.equal(req.encType, encType);
    assert.equal('enc_type' in req.meta, encType !== 'aes-gcm');
    const serverKey = onionSymmetricKey(req.encType, serverSk, serverPk, req.ephemeralPk);
    assert.deepEqual(serverKey, key);
    assert.equal(onionDecrypt(req.encType, serverKey, req.ciphertext)!.toString('utf8'), 'ping');
  }
});

test('bencode: spec examples and strictness', () => {
  const ex1 = 'l79:{"method":"GET","endpoint":"/room/some-room","headers":{"Some-Header":"12345"}}e';
  const ex2 = 'l72:{"method":"POST","endpoint":"/some/thing","headers":{"Some-Header":"a"}}14:post body heree';
  const p1 = bdecodeList(utf8(ex1), 2)!;
  assert.deepEqual(p1.map((b) => b.toString('utf8')), [ex1.slice(4, -1)]);
  const p2 = bdecodeList(utf8(ex2), 2)!;
  assert.deepEqual(p2.map((b) => b.toString('utf8')), [ex2.slice(4, 76), 'post body here']);
  assert.equal(bencodeList(p2).toString('utf8'), ex2);
  assert.equal(bencodeList([]).toString('utf8'), 'le');
  assert.equal(bencodeList([Buffer.alloc(0)]).toString('utf8'), 'l0:e');
  assert.deepEqual(bdecodeList(utf8('le'), 2), []);
  assert.deepEqual(bdecodeList(utf8('l0:e'), 2), [Buffer.alloc(0)]);
  assert.deepEqual(bdecodeList(utf8('l03:abce'), 2), [utf8('abc')]); // leading zeros tolerated like the reference
  const binary = Buffer.from([0, 0x65, 0xff, 0x3a, 0x6c]);
  assert.deepEqual(bdecodeList(bencodeList([utf8('{}'), binary]), 2), [utf8('{}'), binary]);

  for (const bad of [
    '',
    'l',
    'e',
    'l3:abc', // no terminator
    'l3:ab', // truncated
    'l3:abcee', // trailing byte
    'l3:abcex',
    'l1:a1:b1:ce', // third element
    'li3ee', // integer
    'll1:aee', // nested list
    'ld1:a1:bee', // dict
    'l:abce', // no length
    'l3abce', // no colon
    'l-3:abce',
    'x3:abce',
    'l99999999999999999999999:abce', // huge declared length
    'l4294967296:e',
    'l12:abce', // length exceeds buffer
    'l 3:abce',
  ]) {
    assert.equal(bdecodeList(utf8(bad), 2), null, `bdecodeList(${JSON.stringify(bad)}) should be null`);
  }
  assert.equal(bdecodeList(utf8('l1:a1:be'), 1), null);
  assert.equal(bdecodeList(Buffer.alloc(1_000_000, 0x39), 2), null); // 'l' missing, all digits
  const hugeDigits = Buffer.concat([utf8('l'), Buffer.alloc(100_000, 0x39), utf8(':xe')]);
  assert.equal(bdecodeList(hugeDigits, 2), null);
});

test('legacy_token.pysogs', () => {
  const p = V.legacy_token.pysogs;
  const serverSk = hex(p.server_x25519_privkey);
  const serverPk = hex(p.server_x25519_pubkey);
  const userXPk = hex(p.user_session_id.slice(2));
  assert.equal(x25519PublicKey(hex(p.user_x25519_privkey)).toString('hex'), p.user_session_id.slice(2));

  const token = makePysogsToken(serverSk, p.user_session_id);
  assert.equal(token.length, 97);
  assert.equal(token.toString('hex'), p.token_hex);
  assert.equal(pysogsTokenPublicKey(serverSk).toString('hex'), p.server_ed25519_pubkey_for_token);
  assert.equal(verifyPysogsToken(hex(p.server_ed25519_pubkey_for_token), hex(p.token_hex)), p.user_session_id);

  const key = legacyChallengeKey(serverSk, userXPk);
  assert.equal(key.toString('hex'), p.symmetric_key);
  assert.equal(legacyChallengeKey(hex(p.user_x25519_privkey), serverPk).toString('hex'), p.symmetric_key);
  const ct = encryptLegacyChallenge(key, token, hex(p.iv));
  assert.deepEqual(legacyChallengeJson(ct, serverPk), p.challenge_json);

  const clientCt = decodeBase64Strict(p.challenge_json.challenge.ciphertext)!;
  assert.equal(decryptLegacyChallenge(key, clientCt)!.toString('hex'), p.token_hex);

  // Authorization header forms
  assert.equal(decodePysogsAuthorization(p.token_hex)!.toString('hex'), p.token_hex);
  assert.equal(decodePysogsAuthorization(p.token_hex.toUpperCase())!.toString('hex'), p.token_hex);
  assert.equal(decodePysogsAuthorization(hex(p.token_hex).toString('base64'))!.toString('hex'), p.token_hex);
  assert.equal(decodePysogsAuthorization(p.token_hex.slice(2)), null);

  // failures
  const edPk = hex(p.server_ed25519_pubkey_for_token);
  const forged = hex(p.token_hex);
  forged[forged.length - 1]! ^= 1; // a different session id under the same signature
  assert.equal(verifyPysogsToken(edPk, forged), null);
  assert.equal(verifyPysogsToken(edPk, hex(p.token_hex).subarray(0, 96)), null);
  assert.equal(verifyPysogsToken(serverPk, hex(p.token_hex)), null); // X25519 key is not the token key
  assert.throws(() => makePysogsToken(serverSk, '15' + p.user_session_id.slice(2)), /05/);
  // even a genuine server signature does not make a non-05 id a legacy user
  const id15 = Buffer.concat([Buffer.from([0x15]), userXPk]);
  const token15 = Buffer.concat([signEd25519(serverEd25519FromX25519Secret(serverSk).secretKey, id15), id15]);
  assert.equal(verifyPysogsToken(edPk, token15), null);
});

test('legacy_token.rust', () => {
  const r = V.legacy_token.rust;
  const ephSk = hex(r.ephemeral_x25519_privkey);
  const ephPk = x25519PublicKey(ephSk);
  assert.equal(ephPk.toString('hex'), r.ephemeral_x25519_pubkey);
  const key = legacyChallengeKey(ephSk, hex(r.user_session_id.slice(2)));
  assert.equal(key.toString('hex'), r.symmetric_key);
  assert.equal(legacyChallengeKey(hex(r.user_x25519_privkey), ephPk).toString('hex'), r.symmetric_key);
  const ct = encryptLegacyChallenge(key, hex(r.token_hex), hex(r.iv));
  assert.deepEqual(legacyChallengeJson(ct, ephPk), r.challenge_json);
  const tampered = decodeBase64Strict(r.challenge_json.challenge.ciphertext)!;
  tampered[20]! ^= 1;
  assert.equal(decryptLegacyChallenge(key, tampered), null);
});
