// Session ids and blinding against the spec's vectors (docs/protocol/crypto.md): id conversion, 15 and 25
// blinding, blinded signatures, invalid points and ids, the system user id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountFromSeed,
  blake2b,
  blind25Factor,
  blind25Id,
  blindedAbs,
  blindedIdCandidates,
  blindedKeys,
  blindingFactor,
  ed25519PkToX25519,
  isValidEd25519Point,
  parseSessionId,
  signBlinded,
  systemUserId,
  verifyEd25519,
  verifyMessageSignature,
  x25519PkToEd25519Positive,
  x25519PublicKey,
} from '../src/crypto';
import { hex, loadVectors, seedByName, utf8 } from './helpers/vectors';

const V = loadVectors();

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
      const acct = accountFromSeed(hex(seedByName(V, c.name)));
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
