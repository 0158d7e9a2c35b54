/** @module Auth services (no routes): passwords, tokens, sessions, MFA, API keys, mail, login throttling, composed from config. */
export * from './errors.js';
export { authComponent, type AuthDeps, type AuthServices, type AuthStorage } from './auth-component.js';
export { createPasswordLogin } from './passwords/password-login.js';
export { issuedMs, type AccessTokens, type AccessClaims } from './tokens/token-access.js';
export { validAfterKey, type Revocations } from './tokens/token-revocation.js';
export type { AccountRevocation } from './account-revocation.js';
export type { RefreshTokenStore, RefreshTokenRecord } from './tokens/refresh-store.js';
export type { OneTimeTokenStore, OneTimeTokenRecord } from './tokens/one-time-tokens.js';
export { hasScope, principalOf, subjectOf, parseSubject, type RequestAuth } from './tokens/token-subject.js';
export { assertSameOrigin } from './sessions/csrf.js';
export type { ApiKeys, ApiKeyStore, ApiKeyRecord } from './keys/api-keys.js';
export type { TotpStepStore } from './mfa/mfa-totp.js';
export type { RecoveryCodeStore } from './mfa/mfa-recovery.js';
export type { MailOutbox, OutboxRow, OutboxStatus, OutgoingMail } from './mail/mailer.js';
export { verifyEmailMessage, passwordResetMessage, emailChangeMessage, emailChangedMessage, accountExistsMessage, tokenLink } from './mail/mailer-templates.js';
export { smtpTransport, type SmtpOptions } from './mail/mailer-sender.js';
