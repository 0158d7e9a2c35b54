// Case-insensitive multi-string search (Aho-Corasick): one pass over a value finds
// whether any of many literals occurs in it. Backs @pm / @pmFromFile and the
// per-regex literal prefilters; small sets use indexOf instead.

const SMALL = 4;

export class LiteralSet {
  private readonly words: string[];
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  /** For each state, the (shortest) word ending there or at one of its suffix states; '' = none. */
  private readonly out: string[] = [''];

  /** `words` are matched case-insensitively (give them in any case). */
  constructor(words: Iterable<string>) {
    this.words = [...new Set([...words].map((w) => w.toLowerCase()).filter((w) => w !== ''))];
    if (this.words.length <= SMALL) return;
    for (const w of this.words) {
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        const c = w.charCodeAt(i);
        let n = this.next[s].get(c);
        if (n === undefined) {
          n = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.out.push('');
          this.next[s].set(c, n);
        }
        s = n;
      }
      if (this.out[s] === '' || w.length < this.out[s].length) this.out[s] = w;
    }
    // breadth-first failure links
    const queue: number[] = [];
    for (const n of this.next[0].values()) queue.push(n);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      for (const [c, n] of this.next[s]) {
        let f = this.fail[s];
        while (f !== 0 && !this.next[f].has(c)) f = this.fail[f];
        const g = this.next[f].get(c);
        this.fail[n] = g !== undefined && g !== n ? g : 0;
        if (this.out[n] === '') this.out[n] = this.out[this.fail[n]];
        queue.push(n);
      }
    }
  }

  get size(): number { return this.words.length; }

  /** The first literal found in `lower` (a lower-cased value), or undefined. */
  find(lower: string): string | undefined {
    if (this.words.length <= SMALL) {
      for (const w of this.words) if (lower.includes(w)) return w;
      return undefined;
    }
    let s = 0;
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i);
      let n = this.next[s].get(c);
      while (n === undefined && s !== 0) { s = this.fail[s]; n = this.next[s].get(c); }
      s = n ?? 0;
      if (this.out[s] !== '') return this.out[s];
    }
    return undefined;
  }
}
