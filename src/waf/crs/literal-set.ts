// Case-insensitive multi-string search (Aho-Corasick): one pass over a value finds
// whether any of many literals occurs in it. Backs @pm / @pmFromFile and the
// per-regex literal prefilters; small sets use indexOf instead. The automaton is
// compiled to a dense table over byte-range characters (values are byte strings, one
// char per byte): one typed-array read per character, no Map lookup and no failure walk.

const SMALL = 4;
/** Characters the dense table covers (ASCII); a set with a literal beyond keeps the Map-based automaton. */
const WIDTH = 128;

export class LiteralSet {
  private readonly words: string[];
  /** delta[state * WIDTH + char] = next state (failure links folded in). */
  private readonly delta: Uint16Array | Uint32Array | undefined;
  /** For each state, the index + 1 of the (shortest) word ending there or at one of its suffix states; 0 = none. */
  private readonly out: Uint32Array | undefined;

  /** `words` are matched case-insensitively (give them in any case). */
  constructor(words: Iterable<string>) {
    this.words = [...new Set([...words].map((w) => w.toLowerCase()).filter((w) => w !== ''))];
    if (this.words.length <= SMALL || this.words.some((w) => /[^\x00-\x7f]/.test(w))) return;
    const next: Array<Map<number, number>> = [new Map()];
    const outWord: number[] = [-1];
    this.words.forEach((w, wi) => {
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        const c = w.charCodeAt(i);
        let n = next[s].get(c);
        if (n === undefined) { n = next.length; next.push(new Map()); outWord.push(-1); next[s].set(c, n); }
        s = n;
      }
      if (outWord[s] === -1 || w.length < this.words[outWord[s]].length) outWord[s] = wi;
    });
    const states = next.length;
    const fail = new Uint32Array(states);
    const delta = states < 65_536 ? new Uint16Array(states * WIDTH) : new Uint32Array(states * WIDTH);
    // breadth-first: a state's row is its failure state's row with its own edges on top
    const queue: number[] = [];
    for (const [c, n] of next[0]) if (c < WIDTH) { delta[c] = n; queue.push(n); }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      const f = fail[s];
      if (outWord[s] === -1) outWord[s] = outWord[f];
      delta.copyWithin(s * WIDTH, f * WIDTH, f * WIDTH + WIDTH);
      for (const [c, n] of next[s]) {
        if (c >= WIDTH) continue;
        fail[n] = delta[f * WIDTH + c] === n ? 0 : delta[f * WIDTH + c];
        delta[s * WIDTH + c] = n;
        queue.push(n);
      }
    }
    this.delta = delta;
    this.out = Uint32Array.from(outWord, (w) => w + 1);
  }

  get size(): number { return this.words.length; }

  /** The first literal found in `lower` (a lower-cased value), or undefined. */
  find(lower: string): string | undefined {
    const delta = this.delta, out = this.out;
    if (delta === undefined || out === undefined) {
      for (const w of this.words) if (lower.includes(w)) return w;
      return undefined;
    }
    let s = 0;
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i);
      // a non-ASCII character is in no literal: the search restarts at the root
      s = c < WIDTH ? delta[s * WIDTH + c] : 0;
      const o = out[s];
      if (o !== 0) return this.words[o - 1];
    }
    return undefined;
  }
}
