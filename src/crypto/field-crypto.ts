// Field encryption at rest: AES-256-GCM (NIST SP 800-38D), 96-bit random IV, 128-bit tag, optional associated
// data binding a value to its place (collection/field/record). Stored format: `enc:v1:<kid>:<iv>:<tag>:<ct>` (base64url).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError } from './errors.js';
import { loadFieldKeys, type FieldKeySet } from './field-keys.js';

export const ENCRYPTED_PREFIX = 'enc:v1:';

export interface FieldCipher {
  readonly currentKid: string;
  /** Encrypt a UTF-8 string under the current key. `aad` (e.g. `users/ssn/<id>`) must be given again to decrypt. */
  encrypt(plaintext: string, aad?: string): string;
  /** Decrypt; DecryptionError on unknown key id, wrong aad, or any tampering. */
  decrypt(value: string, aad?: string): string;
  /** The key id a stored value was encrypted with, or undefined when it is not an encrypted value. */
  keyIdOf(value: string): string | undefined;
  isEncrypted(value: unknown): value is string;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export function createFieldCipher(keys: FieldKeySet): FieldCipher {
  const current = keys.keys.get(keys.current);
  if (!current || current.length !== 32) throw new RangeError('current field encryption key missing or not 32 bytes');

  function parse(value: string) {
    if (typeof value !== 'string' || !value.startsWith(ENCRYPTED_PREFIX)) return undefined;
    const parts = value.slice(ENCRYPTED_PREFIX.length).split(':');
    if (parts.length !== 4 || !parts.every((p) => B64URL.test(p))) return undefined;
    const [kid, ...enc] = parts;
    const [iv, tag, ct] = enc.map((s) => Buffer.from(s, 'base64url'));
    // Only canonical encodings: otherwise several strings would decode to one value (malleable storage).
    if (enc.some((s, i) => [iv, tag, ct][i].toString('base64url') !== s)) return undefined;
    return { kid, iv, tag, ct };
  }

  return {
    currentKid: keys.current,
    encrypt(plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${ENCRYPTED_PREFIX}${keys.current}:${iv.toString('base64url')}:${tag.toString('base64url')}:${ct.toString('base64url')}`;
    },
    decrypt(value, aad) {
      const p = parse(value);
      const key = p && keys.keys.get(p.kid);
      if (!p || !key || p.iv.length !== 12 || p.tag.length !== 16) throw new DecryptionError();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, p.iv, { authTagLength: 16 });
        if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(p.tag);
        return Buffer.concat([decipher.update(p.ct), decipher.final()]).toString('utf8');
      } catch {
        throw new DecryptionError();
      }
    },
    keyIdOf: (value) => parse(value)?.kid,
    isEncrypted: (value): value is string => typeof value === 'string' && parse(value) !== undefined,
  };
}

/**
 * The cipher over the key file (or STRATA_ENCRYPTION_KEY when set): built once by the composition root and
 * passed to everything that seals fields.
 *
 * @example
 * const cipher = await loadFieldCipher({ keyFile: fieldKeyFile(config), env: process.env.STRATA_ENCRYPTION_KEY });
 */
export async function loadFieldCipher(opts: { keyFile: string; env?: string }): Promise<FieldCipher> {
  return createFieldCipher(await loadFieldKeys(opts));
}
