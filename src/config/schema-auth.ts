// Config section for auth: password hashing and policy, access/refresh tokens, sessions, throttling, field encryption.
import { Type } from '@sinclair/typebox';

const Int = (min: number, max: number, def: number, description: string) => Type.Integer({ minimum: min, maximum: max, default: def, description });
const Section = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object(props, { default: {}, additionalProperties: false });

export const AuthSchema = Section({
  recentLogin: Int(0, 86_400, 900, 'Seconds after a password (or MFA) login during which account-security changes (MFA, API keys, logout-all, email) are allowed without signing in again; refreshed tokens do not count.'),
  passwords: Section({
    minLength: Int(8, 64, 12, 'Minimum password length in characters.'),
    maxLength: Int(64, 4096, 256, 'Maximum password length (never below 64).'),
    minScore: Int(0, 4, 3, 'zxcvbn-ts strength score (0-4) a new password must reach.'),
    memoryCost: Int(19_456, 4_194_304, 19_456, 'argon2id memory in KiB (OWASP minimum 19456). Raising it rehashes passwords at next login.'),
    timeCost: Int(2, 100, 2, 'argon2id iterations (OWASP minimum 2).'),
    parallelism: Int(1, 64, 1, 'argon2id lanes.'),
  }),
  tokens: Section({
    alg: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256')], { default: 'EdDSA', description: 'Access token signature: `EdDSA` (Ed25519) or `ES256` (P-256).' }),
    issuer: Type.String({ default: 'strata', minLength: 1, description: 'JWT `iss` of access tokens (set it to your public URL).' }),
    audience: Type.String({ default: 'strata', minLength: 1, description: 'JWT `aud` of access tokens.' }),
    accessTtl: Int(60, 86_400, 900, 'Access token lifetime in seconds.'),
    refreshTtl: Int(300, 31_536_000, 2_592_000, 'Refresh token lifetime in seconds; each use rotates it.'),
    keyDir: Type.String({ default: '', description: 'Directory of signing keys (mode 0600 files); empty = `<dataDir>/keys`.' }),
  }),
  sessions: Section({
    cookieName: Type.String({ default: 'strata_session', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Session cookie name; `__Host-` is prefixed on HTTPS.' }),
    idleTimeout: Int(60, 31_536_000, 1_800, 'Seconds of inactivity after which a session ends.'),
    absoluteTimeout: Int(300, 31_536_000, 604_800, 'Seconds after login after which a session ends regardless of activity.'),
    trustedOrigins: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Other origins allowed to send cookie-authenticated unsafe requests (CSRF check).' }),
  }),
  throttle: Section({
    store: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'Where failed-login counters live: `memory` (per process) or `redis` (shared by every instance).' }),
    accountFreeAttempts: Int(1, 1000, 3, 'Failed logins per account before backoff starts.'),
    accountLockoutAfter: Int(0, 100_000, 10, 'Failed logins per account that trigger a temporary lockout (0 = never).'),
    ipFreeAttempts: Int(1, 100_000, 20, 'Failed logins per IP (IPv6 per /64) before backoff starts.'),
    lockoutSeconds: Int(1, 86_400, 900, 'Length of a temporary lockout in seconds.'),
  }),
  encryption: Section({
    keyFile: Type.String({ default: '', description: 'Field encryption key file (JSON, mode 0600); empty = `<dataDir>/keys/encryption.json`. STRATA_ENCRYPTION_KEY overrides it.' }),
  }),
  email: Section({
    from: Type.String({ default: '', maxLength: 320, description: 'Sender of auth emails, e.g. `App <no-reply@example.com>` (required when `auth.email.smtp.host` is set).' }),
    linkBase: Type.String({ default: '', maxLength: 2048, description: 'Public URL that links in emails start with, e.g. `https://app.example.com`.' }),
    verifyPath: Type.String({ default: '/auth/verify-email', pattern: '^/[^?#\\s]*$', description: 'Path of the email-verification link (the token is added as `?token=`).' }),
    resetPath: Type.String({ default: '/auth/reset-password', pattern: '^/[^?#\\s]*$', description: 'Path of the password-reset link (the token is added as `?token=`).' }),
    emailChangePath: Type.String({ default: '/auth/confirm-email-change', pattern: '^/[^?#\\s]*$', description: 'Path of the link mailed to a new address to confirm an email change (the token is added as `?token=`).' }),
    appName: Type.String({ default: 'Strata', minLength: 1, maxLength: 100, description: 'Product name used in email subjects and bodies.' }),
    maxAttempts: Int(1, 100, 10, 'Delivery attempts per email before it is marked failed.'),
    retryBase: Int(1, 3_600, 30, 'Seconds before the first retry; doubled after each failure (capped at one hour).'),
    leaseSeconds: Int(10, 3_600, 120, 'How long a sender owns a claimed email; after that (for example after a crash) another sender may deliver it.'),
    pollInterval: Int(100, 600_000, 2_000, 'Milliseconds between outbox scans of the email sender.'),
    smtp: Section({
      host: Type.String({ default: '', description: 'SMTP server host; empty = no delivery (emails wait in the outbox, one warning is logged).' }),
      port: Int(1, 65_535, 587, 'SMTP server port (587 for STARTTLS, 465 for TLS).'),
      security: Type.Union([Type.Literal('starttls'), Type.Literal('tls'), Type.Literal('none')], {
        default: 'starttls',
        description: '`starttls` (upgrade required), `tls` (implicit TLS, port 465) or `none` (plain text; local relays only).',
      }),
      user: Type.String({ default: '', description: 'SMTP user name (empty = no authentication).' }),
      password: Type.String({ default: '', description: 'SMTP password; prefer the environment variable STRATA_AUTH_EMAIL_SMTP_PASSWORD.' }),
    }),
  }),
  audit: Section({
    retentionDays: Int(0, 36_500, 365, 'Days audit log entries are kept (0 = forever); older entries are pruned hourly.'),
  }),
});
