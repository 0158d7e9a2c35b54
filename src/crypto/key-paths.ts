// Where Strata's key files live: one answer for the server, the auth capability and `strata keys rotate`.
import { join, resolve } from 'node:path';

/** The config fields that place key files (`auth.tokens.keyDir`, `auth.encryption.keyFile`) and the data directory. */
export interface KeyPathConfig {
  dataDir: string;
  auth: { tokens: { keyDir: string }; encryption: { keyFile: string } };
}

/** The key directory (signing keys, CSRF secret, field keys): `auth.tokens.keyDir`, default `<dataDir>/keys`. */
export function keyDirectory(config: KeyPathConfig): string {
  return resolve(config.auth.tokens.keyDir || join(resolve(config.dataDir), 'keys'));
}

/** The field-encryption key file: `auth.encryption.keyFile`, default `<key directory>/encryption.json`. */
export function fieldKeyFile(config: KeyPathConfig): string {
  return resolve(config.auth.encryption.keyFile || join(keyDirectory(config), 'encryption.json'));
}
