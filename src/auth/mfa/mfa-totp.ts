// TOTP second factor (RFC 6238 over RFC 4226, via otpauth): enrolment URI, verification with a ±1 step window,
// and replay refusal (RFC 6238 §5.2: a code's time step is accepted at most once per account).
import * as OTPAuth from 'otpauth';

/** Remembers the last accepted time step per account. `advance` must be atomic (compare-and-set). */
export interface TotpStepStore {
  /** Record `step` as used when it is greater than the stored one; false when it is not (a replay). */
  advance(accountId: string, step: number): Promise<boolean>;
  reset(accountId: string): Promise<void>;
}

export function createMemoryTotpStepStore(): TotpStepStore {
  const last = new Map<string, number>();
  return {
    async advance(accountId, step) {
      const prev = last.get(accountId);
      if (prev !== undefined && step <= prev) return false;
      last.set(accountId, step);
      return true;
    },
    async reset(accountId) {
      last.delete(accountId);
    },
  } satisfies TotpStepStore;
}

export interface TotpOptions {
  /** Shown in authenticator apps, e.g. the app name. */
  issuer: string;
  steps: TotpStepStore;
  /** Steps accepted either side of now (default 1 = ±30 s). */
  window?: number;
  /** Milliseconds clock, for tests. */
  now?: () => number;
}

export interface Totp {
  /** A new base32 secret and its otpauth:// URI (for a QR code). Store the secret encrypted; activate after one verify. */
  enrol(accountLabel: string): { secret: string; uri: string };
  /** True when `code` is valid now for `secret` and its step has not been used before by this account. */
  verify(accountId: string, secret: string, code: string): Promise<boolean>;
}

const PERIOD = 30;

export function createTotp(opts: TotpOptions): Totp {
  const window = opts.window ?? 1;
  const now = opts.now ?? Date.now;
  const make = (secret: OTPAuth.Secret, label = 'account') =>
    new OTPAuth.TOTP({ issuer: opts.issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret });

  return {
    enrol(accountLabel) {
      const secret = new OTPAuth.Secret({ size: 20 });
      return { secret: secret.base32, uri: make(secret, accountLabel).toString() };
    },
    async verify(accountId, secret, code) {
      if (typeof code !== 'string' || !/^\d{6}$/.test(code.replace(/\s/g, ''))) return false;
      let totp: OTPAuth.TOTP;
      try {
        totp = make(OTPAuth.Secret.fromBase32(secret));
      } catch {
        return false;
      }
      const timestamp = now();
      const delta = totp.validate({ token: code.replace(/\s/g, ''), timestamp, window });
      if (delta === null) return false;
      const step = Math.floor(timestamp / 1000 / PERIOD) + delta;
      return opts.steps.advance(accountId, step);
    },
  };
}
