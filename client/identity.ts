// A Session account as a client holds it: the seed, its 05 id, and per-server blinded keys.
import crypto from 'node:crypto';
import { accountFromSeed, blindedKeys, type Account, type BlindedKeys } from '../src/crypto/keys';
import { signBlinded, signEd25519 } from '../src/crypto/sign';

export class Identity {
  private readonly blinded = new Map<string, BlindedKeys>();

  constructor(readonly account: Account) {}

  static fromSeed(seed: Buffer | string): Identity {
    return new Identity(accountFromSeed(typeof seed === 'string' ? Buffer.from(seed, 'hex') : seed));
  }

  static random(): Identity {
    return Identity.fromSeed(crypto.randomBytes(32));
  }

  /** The unblinded 05 session id. */
  get sessionId(): string {
    return this.account.sessionId;
  }

  blindedKeys(serverPk: Buffer): BlindedKeys {
    const k = serverPk.toString('hex');
    let keys = this.blinded.get(k);
    if (!keys) {
      keys = blindedKeys(this.account, serverPk);
      this.blinded.set(k, keys);
    }
    return keys;
  }

  /** The 15 id this account has on the server with that key. */
  blindedId(serverPk: Buffer): string {
    return this.blindedKeys(serverPk).blindedId;
  }

  /** Signs as the blinded key for that server (what message signatures use on blinded servers). */
  signBlinded(serverPk: Buffer, msg: Buffer): Buffer {
    return signBlinded(this.account, this.blindedKeys(serverPk), msg);
  }

  signUnblinded(msg: Buffer): Buffer {
    return signEd25519(this.account.edSk, msg);
  }
}
