// Reads ModSecurity SecLang configuration text (the subset the OWASP Core Rule Set is
// written in): SecRule, SecAction and SecMarker directives, with Apache-style line
// continuations and quoting (a backslash escapes only the quote character).
// Hand-written: no maintained JavaScript SecLang parser exists.

export type Directive =
  | { kind: 'rule'; variables: string; operator: string; actions: string; line: number }
  | { kind: 'action'; actions: string; line: number }
  | { kind: 'marker'; name: string; line: number };

/** Joins continued lines, drops comments and blank lines; returns [line number, text] pairs. */
function logicalLines(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (buf === '' && /^\s*(#|$)/.test(line)) continue;
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) { buf += line.slice(0, -1); continue; }
    buf += line;
    out.push([start, buf.trim()]);
    buf = '';
  }
  if (buf.trim() !== '') out.push([start, buf.trim()]);
  return out;
}

/** Splits a directive line into words: double- or single-quoted strings (quotes removed, `\"` unescaped) or bare words. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    const q = s[i];
    if (q === '"' || q === "'") {
      let w = '';
      i++;
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\' && s[i + 1] === q) { w += q; i += 2; continue; }
        w += s[i++];
      }
      i++;
      words.push(w);
    } else {
      let w = '';
      while (i < s.length && !/\s/.test(s[i])) w += s[i++];
      words.push(w);
    }
  }
  return words;
}

/** Parses a configuration file; unknown directives (SecComponentSignature, engine settings) are ignored. */
export function parseSecLang(text: string): Directive[] {
  const out: Directive[] = [];
  for (const [line, l] of logicalLines(text)) {
    const words = splitWords(l);
    const name = words[0];
    if (name === 'SecRule') {
      if (words.length < 3) throw new Error(`line ${line}: SecRule needs variables and an operator`);
      out.push({ kind: 'rule', variables: words[1], operator: words[2], actions: words[3] ?? '', line });
    } else if (name === 'SecAction') {
      out.push({ kind: 'action', actions: words[1] ?? '', line });
    } else if (name === 'SecMarker') {
      out.push({ kind: 'marker', name: words[1] ?? '', line });
    }
  }
  return out;
}

/** One action of a rule's action list: `name` or `name:value` (single quotes around the value removed). */
export interface RawAction { name: string; value: string }

/** Splits `id:1,phase:2,msg:'a, b',t:none` into actions; commas inside single quotes do not split. */
export function splitActions(s: string): RawAction[] {
  const out: RawAction[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || /\s/.test(s[i]))) i++;
    if (i >= s.length) break;
    let name = '';
    while (i < s.length && s[i] !== ':' && s[i] !== ',') name += s[i++];
    let value = '';
    if (s[i] === ':') {
      i++;
      while (i < s.length && s[i] === ' ') i++;
      if (s[i] === "'") {
        i++;
        while (i < s.length && s[i] !== "'") {
          if (s[i] === '\\' && s[i + 1] === "'") { value += "'"; i += 2; continue; }
          value += s[i++];
        }
        i++;
      } else {
        while (i < s.length && s[i] !== ',') value += s[i++];
      }
    }
    out.push({ name: name.trim(), value: value.trim() });
  }
  return out;
}
