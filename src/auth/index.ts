/** @module Auth: argon2id passwords and strength policy, access/refresh tokens, API keys, TOTP MFA, field encryption, throttling, CSRF and sessions. */
export * from './errors.js';
export { createPasswordHasher, OWASP_MIN, type Argon2Params, type PasswordHasher } from './password-hash.js';
export { createPasswordPolicy, commonPasswords, type PasswordPolicy, type PasswordPolicyOptions } from './password-policy.js';
