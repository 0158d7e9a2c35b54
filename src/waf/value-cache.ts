// A bounded memo of per-value inspection results (two generations of Maps: O(1),
// at most 2 x size entries). Real traffic repeats most values: User-Agent, Referer,
// cookies, common query values; detectors are pure, so their results can be reused.
// When traffic does not repeat, every lookup is a miss that only costs (hashing, the
// maps' memory): after a window with under 1 hit in 16 lookups the cache is only
// consulted for 1 value in 16, which still notices when values start repeating again.

const WINDOW = 1024;
const SPARSE_EVERY = 16;

export class ValueCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  private readonly size: number;
  private lookups = 0;
  private hits = 0;
  private sparse = false;
  private tick = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Whether this value should be looked up (and its result stored); false while the cache is mostly missing. */
  worthTrying(): boolean {
    return !this.sparse || ++this.tick % SPARSE_EVERY === 0;
  }

  /** True while the hit rate of the last window was too low to consult the cache for every value. */
  get isSparse(): boolean { return this.sparse; }

  get(key: string): V | undefined {
    let v = this.current.get(key);
    if (v === undefined) {
      v = this.previous.get(key);
      if (v !== undefined) this.set(key, v);
    }
    if (v !== undefined) this.hits++;
    if (++this.lookups === WINDOW) {
      this.sparse = this.hits * SPARSE_EVERY < WINDOW;
      this.lookups = 0;
      this.hits = 0;
    }
    return v;
  }

  set(key: string, value: V): void {
    if (this.current.size >= this.size) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}
