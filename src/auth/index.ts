/** @module Auth: argon2id passwords and strength policy, access/refresh tokens, API keys, TOTP MFA, field encryption, throttling, CSRF and sessions. */
export * from './errors.js';
export { createPasswordHasher, OWASP_MIN, type Argon2Params, type PasswordHasher } from './password-hash.js';
export { createPasswordPolicy, commonPasswords, type PasswordPolicy, type PasswordPolicyOptions } from './password-policy.js';
export { createKeyRing, type KeyRing, type KeyRingOptions, type SigningAlg, type JsonWebKeySet, type StoredSigningKey } from './token-keys.js';
export { createAccessTokens, type AccessTokens, type AccessClaims, type AccessTokenOptions } from './token-access.js';
export { randomToken, sha256Hex, safeEqual } from './token-hash.js';
export { createMemoryRefreshStore, type RefreshTokenStore, type RefreshTokenRecord } from './refresh-store.js';
export { createSqliteRefreshStore, type SqliteRefreshStoreOptions } from './refresh-store-sqlite.js';
export { createRefreshTokens, type RefreshTokens, type IssuedRefreshToken, type RefreshTokenOptions } from './refresh-tokens.js';
export { createApiKeys, createMemoryApiKeyStore, type ApiKeys, type ApiKeyStore, type ApiKeyRecord } from './api-keys.js';
export { createTotp, createMemoryTotpStepStore, type Totp, type TotpOptions, type TotpStepStore } from './mfa-totp.js';
export { createRecoveryCodes, createMemoryRecoveryCodeStore, type RecoveryCodes, type RecoveryCodeStore } from './mfa-recovery.js';
export { loadFieldKeys, parseKeyEnv, rotateFieldKeyFile, type FieldKeySet } from './field-keys.js';
export { createFieldCipher, ENCRYPTED_PREFIX, type FieldCipher } from './field-crypto.js';
export { reencryptRows, type EncryptedRow, type RotationOptions, type RotationProgress } from './field-rotate.js';
export { createMemoryAttemptStore, type AttemptStore, type AttemptState } from './throttle-store.js';
export { createLoginThrottle, delayFor, throttleKeys, ACCOUNT_RULE, IP_RULE, type LoginThrottle, type ThrottleRule, type ThrottleOptions } from './throttle.js';
export { createPasswordLogin, type PasswordLogin, type PasswordLoginOptions, type LoginAccount } from './login.js';
