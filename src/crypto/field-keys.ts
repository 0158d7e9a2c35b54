// Data-encryption keys for field encryption at rest: 256-bit AES keys with ids, from STRATA_ENCRYPTION_KEY or a
// key file in the data directory (JSON, mode 0600), created on first use; rotation adds a key and makes it current.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { publishExclusive } from './secret-file.js';

export interface FieldKeySet {
  /** Key id used for new encryptions. */
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

interface KeyFile {
  current: string;
  keys: Record<string, string>;
}

const KID_RE = /^[A-Za-z0-9_-]{1,32}$/;

function decodeKey(b64: string, where: string): Buffer {
  const key = Buffer.from(b64.trim(), 'base64');
  if (key.length !== 32) throw new RangeError(`${where}: an encryption key must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
  return key;
}

/**
 * Parse STRATA_ENCRYPTION_KEY: either one base64 key (its id derived from its hash) or
 * `kid:base64,kid:base64,...` with the first one current.
 */
export function parseKeyEnv(value: string): FieldKeySet {
  const keys = new Map<string, Buffer>();
  let current = '';
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    const [kid, b64] = i > 0 ? [part.slice(0, i), part.slice(i + 1)] : ['', part];
    const key = decodeKey(b64, 'STRATA_ENCRYPTION_KEY');
    const id = kid || 'k' + createHash('sha256').update(key).digest('hex').slice(0, 8);
    if (!KID_RE.test(id)) throw new RangeError(`STRATA_ENCRYPTION_KEY: invalid key id ${JSON.stringify(id)}`);
    keys.set(id, key);
    current ||= id;
  }
  if (!current) throw new RangeError('STRATA_ENCRYPTION_KEY is empty');
  return { current, keys };
}

/** Write the key file atomically; `exclusive` (first creation) returns false if another process created it first. */
async function writeKeyFile(path: string, file: KeyFile, exclusive = false): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  if (exclusive) return publishExclusive(tmp, path);
  await rename(tmp, path);
  return true;
}

function fromFile(file: KeyFile, path: string): FieldKeySet {
  const keys = new Map<string, Buffer>();
  for (const [kid, b64] of Object.entries(file.keys ?? {})) {
    if (!KID_RE.test(kid)) throw new RangeError(`${path}: invalid key id ${JSON.stringify(kid)}`);
    keys.set(kid, decodeKey(b64, path));
  }
  if (!keys.has(file.current)) throw new RangeError(`${path}: current key ${JSON.stringify(file.current)} is missing`);
  return { current: file.current, keys };
}

const newKid = () => `k${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/**
 * Load the key set: `env` (STRATA_ENCRYPTION_KEY) wins; otherwise the key file, created with one fresh key
 * when missing.
 */
export async function loadFieldKeys(opts: { keyFile: string; env?: string }): Promise<FieldKeySet> {
  if (opts.env !== undefined && opts.env.trim() !== '') return parseKeyEnv(opts.env);
  let text: string;
  try {
    text = await readFile(opts.keyFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const kid = newKid();
    const file: KeyFile = { current: kid, keys: { [kid]: randomBytes(32).toString('base64') } };
    // Two processes starting together must not each encrypt under a key the other lacks.
    if (!(await writeKeyFile(opts.keyFile, file, true))) return loadFieldKeys(opts);
    return fromFile(file, opts.keyFile);
  }
  return fromFile(JSON.parse(text) as KeyFile, opts.keyFile);
}

/** Add a fresh key to the key file and make it current; old keys stay for decryption. Returns the new id. */
export async function rotateFieldKeyFile(keyFile: string): Promise<string> {
  const file = JSON.parse(await readFile(keyFile, 'utf8')) as KeyFile;
  fromFile(file, keyFile);
  const kid = newKid();
  file.keys[kid] = randomBytes(32).toString('base64');
  file.current = kid;
  await writeKeyFile(keyFile, file);
  return kid;
}
