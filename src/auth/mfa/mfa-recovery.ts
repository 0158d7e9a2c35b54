// One-time MFA recovery codes: 80 random bits each (16 base32 characters), stored as SHA-256, consumed atomically.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../tokens/token-hash.js';

export interface RecoveryCodeStore {
  /** Replace every code of the account (regeneration invalidates the old set). */
  replace(accountId: string, hashes: string[]): Promise<void>;
  /** Atomically remove `hash` from the account's set; false when absent (unknown or already used). */
  consume(accountId: string, hash: string): Promise<boolean>;
  remaining(accountId: string): Promise<number>;
}

export function createMemoryRecoveryCodeStore(): RecoveryCodeStore {
  const sets = new Map<string, Set<string>>();
  return {
    async replace(accountId, hashes) {
      sets.set(accountId, new Set(hashes));
    },
    async consume(accountId, hash) {
      return sets.get(accountId)?.delete(hash) ?? false;
    },
    async remaining(accountId) {
      return sets.get(accountId)?.size ?? 0;
    },
  } satisfies RecoveryCodeStore;
}

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no 0/o/1/l

function normalize(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

export interface RecoveryCodes {
  /** New codes shown once to the user (`xxxx-xxxx-xxxx-xxxx`); the store keeps only their hashes. */
  generate(accountId: string, count?: number): Promise<string[]>;
  /** True exactly once per code. */
  use(accountId: string, code: string): Promise<boolean>;
  remaining(accountId: string): Promise<number>;
}

export function createRecoveryCodes(opts: { store: RecoveryCodeStore }): RecoveryCodes {
  return {
    async generate(accountId, count = 10) {
      const codes: string[] = [];
      for (let i = 0; i < count; i++) {
        const bytes = randomBytes(16);
        let s = '';
        for (let j = 0; j < 16; j++) s += ALPHABET[bytes[j] & 31];
        codes.push(s.match(/.{4}/g)!.join('-'));
      }
      await opts.store.replace(accountId, codes.map((c) => sha256Hex(normalize(c))));
      return codes;
    },
    async use(accountId, code) {
      if (typeof code !== 'string' || code.length > 64) return false;
      const n = normalize(code);
      if (!/^[a-z0-9]{16}$/.test(n)) return false;
      return opts.store.consume(accountId, sha256Hex(n));
    },
    remaining: (accountId) => opts.store.remaining(accountId),
  };
}
