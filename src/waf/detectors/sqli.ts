// SQL injection detector: libinjection-style. The value is tokenized in three
// contexts (bare, inside '...', inside "...") and the fingerprint of its first
// tokens is matched against structural rules (not a keyword list).
import type { Detector, Finding, InspectedValue, DetectContext, ParanoiaLevel, Severity } from '../detector.js';
import { VALUE_LOCATIONS } from '../detector.js';
import { sqlFingerprint } from '../sqli-tokenizer.js';
import { CC, CC_OPAQUE } from '../char-classes.js';
import { linearRx } from '../regex-linear.js';

interface FpRule { id: string; re: RegExp; paranoia: ParanoiaLevel; severity: Severity; quoted: boolean; message: string }

// `quoted` rules apply to the quote contexts (first token s = the string the
// attacker closed); the others to the bare context, whose start is a number,
// a name or a statement separator.
const RULES: FpRule[] = [
  { id: 'sqli-union', quoted: true, re: /^s\)*U\(*E/, paranoia: 1, severity: 'critical', message: 'UNION-based injection after a closed string' },
  { id: 'sqli-union', quoted: false, re: /^1\)*U\(*E/, paranoia: 1, severity: 'critical', message: 'UNION-based injection' },
  { id: 'sqli-union', quoted: false, re: linearRx(/^n\)*U\(*E(?!n?$|nn)/), paranoia: 1, severity: 'critical', message: 'UNION-based injection' },
  { id: 'sqli-stacked', quoted: true, re: /^s\)*;\(*[Ek]/, paranoia: 1, severity: 'critical', message: 'stacked query after a closed string' },
  { id: 'sqli-stacked', quoted: false, re: /^(?:1\)*)?;\(*E/, paranoia: 1, severity: 'critical', message: 'stacked query' },
  { id: 'sqli-stacked', quoted: false, re: /^n\)*;\(*E(?:[kof1sv(]|n[k,.(o;c])/, paranoia: 1, severity: 'critical', message: 'stacked query' },
  { id: 'sqli-tautology', quoted: true, re: /^s\)*&\(*(?:[1v](?:[o&c);]|$)|[sn][o&c;]|f|\(*E)/, paranoia: 1, severity: 'critical', message: 'boolean/tautology after a closed string' },
  { id: 'sqli-tautology', quoted: true, re: /^sos(?:$|[c&;)])|^so1(?:$|[c&;])/, paranoia: 1, severity: 'critical', message: "tautology such as x'='x" },
  { id: 'sqli-tautology', quoted: false, re: /^1\)*&\(*(?:[1sv](?:[o&c);(])|n[o&c]|f|\(*E)/, paranoia: 1, severity: 'critical', message: 'boolean/tautology injection' },
  { id: 'sqli-tautology', quoted: false, re: /^1\)*&\(*[1sv]$/, paranoia: 2, severity: 'critical', message: 'boolean expression' },
  { id: 'sqli-comment', quoted: true, re: /^s\)*c/, paranoia: 1, severity: 'critical', message: 'query truncated by a comment after a closed string' },
  { id: 'sqli-comment', quoted: false, re: /^1\)+c/, paranoia: 2, severity: 'error', message: 'query truncated by a comment' },
  { id: 'sqli-operator', quoted: true, re: /^s\)*o\(*(?:f|E|v)/, paranoia: 1, severity: 'critical', message: 'function/subquery concatenated to a closed string' },
  { id: 'sqli-operator', quoted: false, re: /^1\)*o\(*(?:f|E|v)/, paranoia: 1, severity: 'critical', message: 'function/subquery in arithmetic' },
  { id: 'sqli-clause', quoted: true, re: /^s\)*k+(?:[1sv(f]|n(?:[c;,)k]))/, paranoia: 1, severity: 'critical', message: 'SQL clause after a closed string' },
  { id: 'sqli-clause', quoted: false, re: /^1\)*k+[1n](?:[c;,]|k)/, paranoia: 1, severity: 'critical', message: 'SQL clause (ORDER BY/INTO...)' },
  { id: 'sqli-clause', quoted: false, re: /^1\)*k+[1n]$/, paranoia: 2, severity: 'error', message: 'SQL clause' },
  { id: 'sqli-statement', quoted: false, re: /^\(*E(?:[k1svf(]|ok|n[k,.(;])/, paranoia: 2, severity: 'critical', message: 'a whole SQL statement' },
  { id: 'sqli-subquery', quoted: false, re: /^\(+E(?:[1vf]|ok|nk)/, paranoia: 1, severity: 'critical', message: 'parenthesized subquery' },
  { id: 'sqli-function', quoted: false, re: /^f\(.*\)(?:c|$)/, paranoia: 3, severity: 'warning', message: 'bare function call' },
];

const TRIVIAL = /^[\w.\-]*$/;

// Stop tokenizing once the first tokens can no longer start any rule's fingerprint
// (every rule is anchored at the injection point): most benign values cost 2 tokens.
const BARE_START = new Set(['1', 'n', ';', '(', 'E', 'f']);
function bareViable(t: string[]): boolean {
  const a = t[0];
  if (!BARE_START.has(a)) return false;
  if (t.length < 2) return true;
  const b = t[1];
  if (a === 'n') return b === 'U' || b === ';' || b === ')';
  if (a === 'f') return b === '(';
  return true;
}
const QUOTED_SECOND = new Set([')', 'U', ';', '&', 'o', 'c', 'k']);
const quotedViable = (t: string[]): boolean => t.length < 2 || QUOTED_SECOND.has(t[1]);

/** The fingerprints of a value in each applicable context (exported for tests and the corpus report). */
export function sqlFingerprints(value: string, prune = false): { bare: string; single?: string; double?: string } {
  const r: { bare: string; single?: string; double?: string } = { bare: sqlFingerprint(value, 0, 8, prune ? bareViable : undefined).fp };
  if (value.includes("'")) r.single = sqlFingerprint(value, 39, 8, prune ? quotedViable : undefined).fp;
  if (value.includes('"')) r.double = sqlFingerprint(value, 34, 8, prune ? quotedViable : undefined).fp;
  return r;
}

// One alternation per (paranoia, context) answers "does any rule match?" in a single
// regex run; the rule loop runs only for the rare fingerprint that does.
const ANY = new Map<string, RegExp>();
for (const pl of [1, 2, 3, 4]) {
  for (const quoted of [false, true]) {
    const parts = RULES.filter((r) => r.paranoia <= pl && r.quoted === quoted).map((r) => `(?:${r.re.source})`);
    ANY.set(`${pl}${quoted}`, linearRx(new RegExp(parts.length > 0 ? parts.join('|') : '(?!)')));
  }
}

export function matchSql(value: string, paranoia: ParanoiaLevel): Finding[] {
  if (TRIVIAL.test(value)) return [];
  const fps = sqlFingerprints(value, true);
  const anyQuoted = ANY.get(`${paranoia}true`) as RegExp;
  if (!(ANY.get(`${paranoia}false`) as RegExp).test(fps.bare) && !(fps.single !== undefined && anyQuoted.test(fps.single)) && !(fps.double !== undefined && anyQuoted.test(fps.double))) return [];
  const out: Finding[] = [];
  for (const rule of RULES) {
    if (rule.paranoia > paranoia) continue;
    const hit = rule.quoted
      ? (fps.single !== undefined && rule.re.test(fps.single)) || (fps.double !== undefined && rule.re.test(fps.double))
      : rule.re.test(fps.bare);
    if (hit) {
      out.push({ rule: rule.id, severity: rule.severity, paranoia: rule.paranoia, message: rule.message });
      break;
    }
  }
  return out;
}

export const sqliDetector = {
  name: 'sqli',
  gate: () => CC_OPAQUE | CC.SPACE | CC.QUOTE | CC.ANGLE | CC.SLASH | CC.COLON | CC.SEP | CC.BRACE | CC.PAREN | CC.HASH | CC.OP,
  locations: VALUE_LOCATIONS.filter((l) => l !== 'path'),
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const found = matchSql(v.view.decoded, ctx.paranoia);
    if (found.length > 0 || ctx.paranoia < 2) return found;
    // PL2+: also as a browser/XML layer would see it (entity-decoded)
    return v.view.entities !== v.view.lower ? matchSql(v.view.entities, ctx.paranoia) : found;
  },
} satisfies Detector;
