// A bounded memo of per-value inspection results. Real traffic repeats many values
// (common paths, filters and query values; the User-Agents of new connections), and
// detectors are pure, so their results can be reused.
//
// Built so that values which never repeat cost almost nothing: direct-mapped (a value's
// own hash picks one slot; a lookup is one array read and one string comparison, a store
// overwrites the slot), parallel arrays instead of an entry object per value, and a value
// is admitted only when seen a second time (a table of hashes remembers the first
// sighting). A store keeps the value's string alive and so moves it to the old
// generation; a once-seen value was paying that for nothing (a two-generation Map cost
// more on such misses than the detectors it saved).

/** FNV-1a over the UTF-16 code units: cheap, and spreads similar values over the slots. */
export function valueHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class ValueCache<V> {
  private readonly keys: Array<string | undefined>;
  private readonly wheres: Array<string | undefined>;
  private readonly names: Array<string | undefined>;
  private readonly values: Array<V | undefined>;
  private readonly seen: Uint32Array;
  private readonly mask: number;

  /** Holds up to `size` values (rounded up to a power of two slots). */
  constructor(size: number) {
    let n = 1;
    while (n < size) n *= 2;
    this.mask = n - 1;
    this.keys = new Array<string | undefined>(n).fill(undefined);
    this.wheres = new Array<string | undefined>(n).fill(undefined);
    this.names = new Array<string | undefined>(n).fill(undefined);
    this.values = new Array<V | undefined>(n).fill(undefined);
    this.seen = new Uint32Array(n);
  }

  /** The value stored for `key` found at `where` under `name` (a request location and parameter); `hash` is `valueHash(key)`. */
  get(key: string, where: string, name: string, hash: number): V | undefined {
    const i = hash & this.mask;
    return this.keys[i] === key && this.wheres[i] === where && this.names[i] === name ? this.values[i] : undefined;
  }

  /** Stores `value` when `key` was offered before (its hash is remembered); otherwise only remembers the hash. Returns whether it stored. */
  offer(key: string, where: string, name: string, hash: number, value: V): boolean {
    const i = hash & this.mask;
    // hash 0 is never remembered: 0 marks an empty slot
    if (this.seen[i] !== hash || hash === 0) {
      this.seen[i] = hash;
      return false;
    }
    this.keys[i] = key;
    this.wheres[i] = where;
    this.names[i] = name;
    this.values[i] = value;
    return true;
  }
}
