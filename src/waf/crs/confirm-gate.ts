// Strata-side confirmations for CRS rules that misfire on what Strata's users write (issue 14:
// "beat ModSecurity on false positives with what only Strata knows"). CRS's keyword rules match
// words, not structure: `& echo` in prose (932100-932115), `union ... select` in a sentence
// (942190, 942270), `echo chamber` (932150), `${name}` in text (932130), `<img src=... alt=...>`
// in rich text (941160), `javascript: the good parts` (941210). Each such rule counts only when
// Strata's own tokenizer of the same family (the legacy detectors: a shell tokenizer, a SQL
// fingerprinter, an HTML tag tokenizer) also finds an attack in the value, in one of three scopes:
//   - text: the value reads as prose or is a Markdown document (fenced code, headings, links);
//   - always: on any value (rules whose CRS pattern is one keyword or one shape);
//   - html: the value is HTML a sanitizer would keep unchanged (allow-listed tags and attributes,
//     http(s)/relative URLs) — no XSS rule counts on it.
// Values that are not prose, Markdown or safe HTML are judged by CRS alone.
import type { DetectContext, Detector, Finding, ParanoiaLevel } from '../detector.js';
import { commandDetector, shellCommandLine } from '../detectors/command.js';
import { sqliDetector } from '../detectors/sqli.js';
import { xssDetector } from '../detectors/xss.js';
import { codeDetector } from '../detectors/code.js';
import { templateDetector } from '../detectors/template.js';
import { traversalDetector } from '../detectors/traversal.js';
import { InputView } from '../transform-view.js';
import { fromBytes } from './transaction.js';
import { isSafeHtml } from './safe-html.js';
import { linearRx } from '../regex-linear.js';

const WORD = linearRx(/^[\p{L}][\p{L}\p{M}'’-]*$/u);
// punctuation and inline markup around a word (`**Note**:`, `(see`, `"quoted,"`, `` `code` ``)
const AROUND = linearRx(/^[*_`"'“‘(\[<>]+|[*_`"'”’)\].,;:!?]+$/gu);
const PUNCT_ONLY = linearRx(/^[^\p{L}\p{N}]+$/u);

/** At least 8 whitespace-separated tokens (punctuation-only ones aside), three quarters of them words of letters. */
export function isProse(text: string): boolean {
  if (text.length < 40) return false;
  let tokens = 0, words = 0;
  for (const t of text.split(/\s+/)) {
    if (t === '' || PUNCT_ONLY.test(t)) continue;
    tokens++;
    if (WORD.test(t.replace(AROUND, ''))) words++;
  }
  return tokens >= 8 && words / tokens >= 0.75;
}

const FENCE = /(?:^|\n)[ \t]*```/;
const MD_LINE = /(?:^|\n)(?:#{1,6} \S|[-*+] \S|> |\d+\. \S)/;
const MD_LINK = linearRx(/\[[^\]\n]{1,200}\]\([^)\s]{1,500}\)/);

/** A Markdown document: a fenced code block, or several lines with headings, lists, quotes or links. */
export function isMarkdown(text: string): boolean {
  if (FENCE.test(text)) return true;
  return text.includes('\n') && (MD_LINE.test(text) || MD_LINK.test(text));
}

const CTX: Record<ParanoiaLevel, DetectContext> = Object.fromEntries(([1, 2, 3, 4] as const).map((p) => [p, {
  paranoia: p, limits: { maxArgs: 0, maxArgNameLength: 0, maxArgLength: 0, maxTotalArgLength: 0, maxHeaders: 0, maxHeaderLength: 0, allowedMethods: [], allowedContentTypes: [] },
}])) as never;

/** Whether the detector finds an attack (a critical or error finding: a PL2 warning such as a command word after `&` does not confirm). */
const finds = (d: Detector, text: string, paranoia: ParanoiaLevel): boolean =>
  (d.inspectValue?.({ location: 'body', name: 'text', view: new InputView(text, 3) }, CTX[paranoia]) ?? []).some((f: Finding) => f.paranoia <= paranoia && (f.severity === 'critical' || f.severity === 'error'));

// a path into the directories unix-shell.data names (`/bin/sh`, `usr/bin/id`, `/etc/passwd`, `/dev/tcp/...`)
const SHELL_PATH = linearRx(/(?:^|[^\w$.-])(?:bin|dev|etc|proc\/self|usr\/bin|usr\/local\/bin)\/+[\w.-]/i);

type Scope = 'text' | 'always';
interface Confirmation { scope: Scope; confirm: (text: string, paranoia: ParanoiaLevel) => boolean }

const command: Confirmation['confirm'] = (t, p) => finds(commandDetector, t, p);
/** The SQL tokenizer on the value, and, in prose, on the text from each of its first quotes on (an injection point inside a sentence: `...voted' union select ...`). */
const QUOTE = /['"`]/g;
const sql: Confirmation['confirm'] = (t, p) => {
  if (finds(sqliDetector, t, p)) return true;
  if (!isProse(t)) return false;
  QUOTE.lastIndex = 0;
  let n = 0;
  // the injection point inside a longer value: judged by the PL1 fingerprints only (the loosest ones read any quote as an attack)
  for (let m = QUOTE.exec(t); m !== null && n < 16; m = QUOTE.exec(t), n++) if (finds(sqliDetector, t.slice(m.index), 1)) return true;
  return false;
};
const code: Confirmation['confirm'] = (t, p) => finds(codeDetector, t, p);
const xss: Confirmation['confirm'] = (t, p) => finds(xssDetector, t, p);

/** The confirmation a rule needs (by id), if any. */
export function confirmationOf(id: number): Confirmation | undefined {
  switch (id) {
    // one keyword or one shape: a command word first (`echo chamber`, `ping pong`), `${x}` / `$(x)`,
    // SQL conditionals (`if (a > b)`, `having fun?`), a `javascript:` scheme in a title
    case 932150: return { scope: 'always', confirm: (t, p) => command(t, p) || shellCommandLine(t.toLowerCase()) };
    // `${...}` / `$(...)`: a shell expansion, or a lookup the template detector reads (`${jndi:ldap://...}`)
    case 932130: return { scope: 'always', confirm: (t, p) => command(t, p) || finds(templateDetector, t, p) };
    // unix-shell.data holds shell paths (`bin/bash`) and bare variable expansions (`$HOME`, `${PATH}`): an
    // expansion in text is what 932130 judges, confirmed the same way; a shell path still counts
    case 932160: return { scope: 'always', confirm: (t, p) => SHELL_PATH.test(t) || command(t, p) };
    case 942230: return { scope: 'always', confirm: sql };
    case 941210: return { scope: 'always', confirm: xss };
  }
  const family = Math.floor(id / 1000);
  // 942100 is @detectSQLi (Strata's SQL tokenizer already); the rest are keyword regexes
  if (family === 932) return { scope: 'text', confirm: command };
  if (family === 942 && id !== 942100) return { scope: 'text', confirm: sql };
  if (family === 933) return { scope: 'text', confirm: code };
  return undefined;
}

const script: Confirmation['confirm'] = (t, p) => finds(traversalDetector, t, p) || finds(codeDetector, t, p);
// CR/LF then a response or request header line (`\r\nSet-Cookie: x`): header injection, not a multi-line value
const HEADER_LINE = linearRx(/[\r\n][\t ]*(?:set-cookie|location|refresh|content-[a-z-]+|transfer-encoding|host|cookie|authorization|x-[a-z0-9-]+|access-control-[a-z-]+|link|www-authenticate|http\/\d)[\t ]*:/i);

/**
 * PL2+ rules of the injection families are CRS's broadest (942430 counts special characters, 942440
 * reads `#` and `--` as comments, 942130 any `a = a`, 932200 any quote inside a word, 931130 any link
 * to another site, 941320 any HTML tag): at PL2 they flag half of realistic text (issue 14: "PL2
 * usable behind a local dev frontend"). Each counts when Strata's tokenizer of its family, run at the
 * configured paranoia level, finds an attack in the value too.
 */
export function confirmationAtPl2(id: number): Confirmation | undefined {
  switch (Math.floor(id / 1000)) {
    case 942: return { scope: 'always', confirm: sql };
    case 941: return { scope: 'always', confirm: xss };
    case 932: return { scope: 'always', confirm: (t, p) => command(t, p) || shellCommandLine(t.toLowerCase()) };
    case 933: return { scope: 'always', confirm: code };
    case 931: return { scope: 'always', confirm: script };
  }
  if (id === 921151) return { scope: 'always', confirm: (t) => HEADER_LINE.test(t) };
  return undefined;
}

/** Rule ids judged by this gate (precomputed per id and rule level on first use). */
const memo = new Map<number, Confirmation | null>();

/** Whether a match of rule `id` (of paranoia level `rulePl`) on this value (bytes) counts. */
export function confirms(id: number, valueBytes: string, paranoia: ParanoiaLevel, rulePl = 1): boolean {
  const key = rulePl >= 2 ? -id : id;
  let c = memo.get(key);
  if (c === undefined) memo.set(key, (c = (rulePl >= 2 ? confirmationAtPl2(id) : undefined) ?? confirmationOf(id) ?? null));
  const xssRule = Math.floor(id / 1000) === 941;
  if (c === null && !xssRule) return true;
  const text = fromBytes(valueBytes);
  // HTML a sanitizer keeps unchanged (rich text) cannot run script: no XSS rule counts on it
  if (xssRule && isSafeHtml(text)) return false;
  if (c === null) return true;
  if (c.scope === 'text' && !isProse(text) && !isMarkdown(text)) return true;
  return c.confirm(text, paranoia);
}
