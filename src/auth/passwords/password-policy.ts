// Password strength policy after NIST SP 800-63B §5.1.1.2: length floor, no low maximum, no composition
// rules, refuse known-breached passwords; plus a zxcvbn-ts strength score threshold.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { ValidationError, type FieldError } from '../../core/index.js';

export interface PasswordPolicyOptions {
  /** Minimum length in characters (code points). Default 12. */
  minLength?: number;
  /** Maximum length; never below 64 (NIST). Default 256. */
  maxLength?: number;
  /** zxcvbn score 0-4 required. Default 3. */
  minScore?: 0 | 1 | 2 | 3 | 4;
  /** Extra refused passwords (case-insensitive), e.g. the product name. */
  extraRefused?: Iterable<string>;
}

export interface PasswordPolicy {
  /** Field errors for `password`; empty when acceptable. `userInputs` (email, name) count against strength. */
  check(password: string, userInputs?: string[]): FieldError[];
  /** Throws ValidationError with the field errors when the password is refused. */
  assert(password: string, userInputs?: string[], field?: string): void;
}

let bundled: Set<string> | undefined;
/** The bundled common/breached password list (see the file's header for its source). */
export function commonPasswords(): Set<string> {
  if (!bundled) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    bundled = new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
  }
  return bundled;
}

/**
 * @example
 * const policy = createPasswordPolicy({ minLength: 12 });
 * policy.assert(body.password, [body.email]); // throws ValidationError
 */
export function createPasswordPolicy(opts: PasswordPolicyOptions = {}): PasswordPolicy {
  const minLength = opts.minLength ?? 12;
  const maxLength = opts.maxLength ?? 256;
  const minScore = opts.minScore ?? 3;
  if (!Number.isInteger(minLength) || minLength < 8) throw new RangeError('password minLength must be >= 8');
  if (!Number.isInteger(maxLength) || maxLength < 64 || maxLength < minLength) throw new RangeError('password maxLength must be >= 64 and >= minLength');
  const refused = commonPasswords();
  const extra = new Set([...(opts.extraRefused ?? [])].map((s) => s.toLowerCase()));
  // zxcvbn and its dictionaries load on the first check, not at start-up (about 0.1 s of CPU in every
  // process otherwise). Both packages are CommonJS only (no "exports"), so require() and import load the same file.
  let zxcvbnFactory: ZxcvbnFactory | undefined;
  const zxcvbn = () => {
    if (!zxcvbnFactory) {
      const require = createRequire(import.meta.url);
      const core = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
      const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
      zxcvbnFactory = new core.ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
    }
    return zxcvbnFactory;
  };

  function check(password: string, userInputs: string[] = [], field = 'password'): FieldError[] {
    if (typeof password !== 'string') return [{ field, message: 'Must be a string.' }];
    const length = [...password].length;
    if (length < minLength) return [{ field, message: `Must be at least ${minLength} characters long.` }];
    if (length > maxLength) return [{ field, message: `Must be at most ${maxLength} characters long.` }];
    const lower = password.toLowerCase();
    if (refused.has(lower) || extra.has(lower)) {
      return [{ field, message: 'This password is in a list of common or breached passwords; choose another.' }];
    }
    const inputs = userInputs.filter((s) => typeof s === 'string' && s.length > 0);
    for (const input of inputs) {
      if (input.length >= 4 && lower.includes(input.toLowerCase())) {
        return [{ field, message: 'Must not contain your email, name or username.' }];
      }
    }
    // zxcvbn is O(n^2)-ish in length; scoring the first 100 characters is plenty.
    const result = zxcvbn().check(password.slice(0, 100), inputs);
    if (result.score < minScore) {
      const hint = result.feedback.warning ? ` (${result.feedback.warning})` : '';
      return [{ field, message: `Too easy to guess: strength ${result.score}/4, at least ${minScore} required${hint}.` }];
    }
    return [];
  }

  return {
    check: (password, userInputs) => check(password, userInputs),
    assert(password, userInputs, field = 'password') {
      const errors = check(password, userInputs, field);
      if (errors.length > 0) throw new ValidationError('The password does not meet the password policy.', errors);
    },
  };
}
