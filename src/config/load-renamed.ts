// Renamed keys (schema-engines.ts RENAMED_KEYS) still accepted for one release: each old key set in
// the file, the environment or a flag is mapped onto its new key with a one-line warning; two
// different values for one engine (two old keys, or an old key and the new one) stop start-up.
import { RENAMED_KEYS } from './schema-engines.js';
import { envName } from './schema-walk.js';
import { ConfigError } from './errors.js';

type Obj = Record<string, unknown>;

export interface RenamedValue {
  old: string;
  value: unknown;
  source: string;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Removes the renamed keys from a config file's data (so the unknown-key check passes) and returns them. */
export function takeRenamedFromFile(data: Obj, file: string): RenamedValue[] {
  const out: RenamedValue[] = [];
  for (const old of Object.keys(RENAMED_KEYS)) {
    const parts = old.split('.');
    let o: unknown = data;
    for (const p of parts.slice(0, -1)) o = isObj(o) ? o[p] : undefined;
    const last = parts[parts.length - 1];
    if (isObj(o) && o[last] !== undefined) {
      out.push({ old, value: o[last], source: file });
      delete o[last];
    }
  }
  return out;
}

export function renamedFromEnv(env: NodeJS.ProcessEnv, coerce: (raw: string, key: string) => unknown): RenamedValue[] {
  const out: RenamedValue[] = [];
  for (const [old, key] of Object.entries(RENAMED_KEYS)) {
    const v = env[envName(old)];
    if (v !== undefined && v !== '') out.push({ old, value: coerce(v, key), source: envName(old) });
  }
  return out;
}

export const isRenamed = (key: string): boolean => key in RENAMED_KEYS;

/**
 * Decides the value of each new key that some old key names. `found` is in precedence order
 * (file, env, flags): for one old key the last wins, as for any key; different old keys, or an old key
 * and an explicitly set new key, must agree.
 */
export function resolveRenamed(
  found: readonly RenamedValue[],
  explicit: (key: string) => { value: unknown; source: string } | undefined,
): { set: Array<{ key: string; value: unknown; source: string }>; warnings: string[] } {
  const effective = new Map<string, RenamedValue>();
  for (const f of found) effective.set(f.old, f);
  const byKey = new Map<string, RenamedValue[]>();
  for (const f of effective.values()) byKey.set(RENAMED_KEYS[f.old], [...(byKey.get(RENAMED_KEYS[f.old]) ?? []), f]);
  const set: Array<{ key: string; value: unknown; source: string }> = [];
  const warnings: string[] = [];
  for (const [key, olds] of byKey) {
    const candidates = [...olds.map((o) => ({ name: o.old, value: o.value, source: o.source }))];
    const now = explicit(key);
    if (now) candidates.push({ name: key, value: now.value, source: now.source });
    const first = candidates[0];
    const other = candidates.find((c) => JSON.stringify(c.value) !== JSON.stringify(first.value));
    if (other) {
      throw new ConfigError(
        key,
        `config: ${first.name} = ${JSON.stringify(first.value)} (from ${first.source}) and ${other.name} = ${JSON.stringify(other.value)} (from ${other.source}) disagree: both set ${key}; set only ${key}`,
      );
    }
    for (const o of olds) warnings.push(`config: ${o.old} (from ${o.source}) is renamed ${key}; the old name is accepted until the next release`);
    if (!now) set.push({ key, value: first.value, source: `${olds[0].source}, as ${olds[0].old}` });
  }
  return { set, warnings };
}
