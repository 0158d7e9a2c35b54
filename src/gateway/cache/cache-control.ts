// Cache-Control parsing (RFC 9111 §5.2): directive names lower-cased, quoted values unquoted,
// delta-seconds read leniently (invalid → directive ignored, as §4.2.1 advises).

export type Directives = Map<string, string | true>;

export function parseCacheControl(header: string | string[] | undefined): Directives {
  const out: Directives = new Map();
  if (!header) return out;
  const s = Array.isArray(header) ? header.join(',') : header;
  // Split on commas outside quotes.
  const re = /\s*([^=,\s]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) && m[0] !== '') {
    const name = m[1].toLowerCase();
    let value: string | true = true;
    if (m[2] !== undefined) value = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2].trim();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

/** A delta-seconds directive as a number, or undefined when absent or malformed. */
export function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (v === undefined || v === true) return undefined;
  if (!/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), 2 ** 31);
}
