// Signing keys for access JWTs (RFC 7515/7517/8037): Ed25519 (EdDSA) or P-256 (ES256), generated on first use,
// stored one JWK file per key (mode 0600) in a key directory, rotatable; retired keys verify until their tokens expire.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export type SigningAlg = 'EdDSA' | 'ES256';

/** What is stored per key. `retiredAt` (epoch s) is set when a newer key takes over signing. */
export interface StoredSigningKey {
  kid: string;
  alg: SigningAlg;
  createdAt: number;
  retiredAt?: number;
  privateJwk: JWK;
}

/** A public key set as served at `/.well-known/jwks.json` (RFC 7517 §5). */
export interface JsonWebKeySet {
  keys: JWK[];
}

export interface KeyRing {
  readonly alg: SigningAlg;
  /** The key that signs new tokens; generated on first call when the ring is empty. */
  signingKey(): Promise<{ kid: string; key: CryptoKey }>;
  /** A public key by id, or undefined when unknown or retired past its grace period. */
  verificationKey(kid: string): Promise<CryptoKey | undefined>;
  /** Make a new signing key; the previous one verifies for `retainSeconds` more. Returns the new kid. */
  rotate(): Promise<string>;
  /** Public keys of every key still valid for verification. */
  jwks(): Promise<JsonWebKeySet>;
}

export interface KeyRingOptions {
  alg?: SigningAlg;
  /** Directory for key files (`<dataDir>/keys`); omitted = keys live in memory only (tests). */
  dir?: string;
  /** How long a retired key still verifies: at least the access token lifetime plus clock skew. */
  retainSeconds: number;
  now?: () => number;
}

const FILE_SUFFIX = '.jwk.json';

/**
 * The last key not retired. A loop, not `Array.prototype.findLast`: this file is type-checked by `strata build`
 * (through data's types) under the ES2022 library, which lacks it.
 */
function newestActive(keys: StoredSigningKey[]): StoredSigningKey | undefined {
  for (let i = keys.length - 1; i >= 0; i--) if (keys[i].retiredAt === undefined) return keys[i];
  return undefined;
}

/**
 * @example
 * const keys = createKeyRing({ dir: join(dataDir, 'keys'), alg: 'EdDSA', retainSeconds: 900 + 60 });
 * app.get('/.well-known/jwks.json', () => keys.jwks());
 */
export function createKeyRing(opts: KeyRingOptions): KeyRing {
  const alg = opts.alg ?? 'EdDSA';
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  let loaded: StoredSigningKey[] | undefined;
  let loadedMtime = -1;
  const imported = new Map<string, { priv: CryptoKey; pub: CryptoKey; publicJwk: JWK }>();
  let pending: Promise<unknown> = Promise.resolve();

  // Serialize mutations so two first-use calls do not make two keys.
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = pending.then(fn, fn);
    pending = p.catch(() => undefined);
    return p;
  }

  // Other processes on the same directory (cluster workers, a CLI rotation) add keys: when asked for an
  // unknown kid or for the JWKS, re-read the directory if its mtime moved (one stat otherwise).
  async function reloadIfChanged(): Promise<void> {
    if (!opts.dir) return;
    const m = (await stat(opts.dir)).mtimeMs;
    if (m !== loadedMtime) {
      loaded = undefined;
      await load();
    }
  }

  async function load(): Promise<StoredSigningKey[]> {
    if (loaded) return loaded;
    const keys: StoredSigningKey[] = [];
    if (opts.dir) {
      await mkdir(opts.dir, { recursive: true, mode: 0o700 });
      loadedMtime = (await stat(opts.dir)).mtimeMs;
      for (const name of await readdir(opts.dir)) {
        if (!name.endsWith(FILE_SUFFIX)) continue;
        let text: string;
        try {
          text = await readFile(join(opts.dir, name), 'utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned by another process meanwhile
          throw e;
        }
        const k = JSON.parse(text) as StoredSigningKey;
        if (k.alg === alg) keys.push(k);
      }
    }
    keys.sort((a, b) => a.createdAt - b.createdAt || a.kid.localeCompare(b.kid));
    loaded = keys;
    return keys;
  }

  async function persist(k: StoredSigningKey): Promise<void> {
    if (!opts.dir) return;
    const file = join(opts.dir, k.kid + FILE_SUFFIX);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(k), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  }

  async function material(k: StoredSigningKey) {
    let m = imported.get(k.kid);
    if (!m) {
      const { d: _d, ...publicJwk } = k.privateJwk;
      const priv = (await importJWK(k.privateJwk, alg)) as CryptoKey;
      const pub = (await importJWK(publicJwk, alg)) as CryptoKey;
      m = { priv, pub, publicJwk: { ...publicJwk, kid: k.kid, alg, use: 'sig' } };
      imported.set(k.kid, m);
    }
    return m;
  }

  async function generate(): Promise<StoredSigningKey> {
    const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const privateJwk = await exportJWK(pair.privateKey);
    const k: StoredSigningKey = { kid: `${now().toString(36)}-${randomBytes(6).toString('base64url')}`, alg, createdAt: now(), privateJwk };
    await persist(k);
    return k;
  }

  const live = (k: StoredSigningKey) => k.retiredAt === undefined || k.retiredAt + opts.retainSeconds > now();

  async function prune(keys: StoredSigningKey[]): Promise<StoredSigningKey[]> {
    const keep = keys.filter(live);
    for (const k of keys.filter((x) => !live(x))) {
      imported.delete(k.kid);
      if (opts.dir) await unlink(join(opts.dir, k.kid + FILE_SUFFIX)).catch(() => undefined);
    }
    loaded = keep;
    return keep;
  }

  async function rotateLocked(): Promise<string> {
    const keys = await load();
    const fresh = await generate();
    for (const k of keys) {
      if (k.retiredAt === undefined) {
        k.retiredAt = now();
        await persist(k);
      }
    }
    const next = await prune([...keys, fresh]);
    loaded = next;
    return fresh.kid;
  }

  return {
    alg,
    async signingKey() {
      // Newest active key: two processes racing on first use each make one; all then agree on the newer.
      let current = newestActive(await load());
      if (!current) {
        await serial(async () => {
          if (!(await load()).some((k) => k.retiredAt === undefined)) await rotateLocked();
        });
        current = newestActive(await load())!;
      }
      return { kid: current.kid, key: (await material(current)).priv };
    },
    async verificationKey(kid) {
      let k = (await load()).find((x) => x.kid === kid);
      if (!k) {
        await reloadIfChanged();
        k = (await load()).find((x) => x.kid === kid);
      }
      if (!k || !live(k)) return undefined;
      return (await material(k)).pub;
    },
    rotate: () => serial(rotateLocked),
    async jwks() {
      await reloadIfChanged();
      const keys = await prune(await load());
      return { keys: await Promise.all(keys.map(async (k) => (await material(k)).publicJwk)) };
    },
  };
}
