// A bounded memo of per-value inspection results (two generations of Maps: O(1),
// at most 2 x size entries). Real traffic repeats most values: User-Agent, Referer,
// cookies, common query values; detectors are pure, so their results can be reused.

export class ValueCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  private readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  get(key: string): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.current.size >= this.size) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}
