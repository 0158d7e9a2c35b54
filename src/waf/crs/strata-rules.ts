// Strata's own tokenizers beside the CRS rules (issue 14: ≥ 95% per family). CRS matches
// command, code and template injection with keyword regexes that miss short forms (`| id`,
// `` `id` ``, `cmd.exe /c dir`, `powershell -enc`, `include(http://...)`, `${${lower:j}ndi:`):
// the shell tokenizer (command), the code and template detectors and the traversal detector
// (after their own multi-pass decoding, NFKC and shell de-obfuscation) run over the same
// arguments and score in the CRS family that covers them, as rule `strata-<rule>`. The SQL
// and HTML tokenizers already back @detectSQLi / @detectXSS. The SSRF detector scores in `rfi`
// (CRS's RFI rules flag only numeric IPs and trailing `?`; a loopback or metadata URL in a
// parameter the server fetches is what SSRF is). Header arguments and XML text values are
// inspected too; parameter names only for prototype pollution (`__proto__[x]`).
import type { Detector, Finding, Location, ParanoiaLevel } from '../detector.js';
import { commandDetector } from '../detectors/command.js';
import { codeDetector } from '../detectors/code.js';
import { templateDetector } from '../detectors/template.js';
import { traversalDetector } from '../detectors/traversal.js';
import { ssrfDetector } from '../detectors/ssrf.js';
import { protocolDetector } from '../detectors/protocol.js';
import { scannerDetector } from '../detectors/scanner.js';
import type { DetectContext, HeaderFacts } from '../detector.js';
import { ValueCache, valueHash } from '../value-cache.js';
import { InputView } from '../transform-view.js';
import { charClasses } from '../char-classes.js';
import type { Entry } from './transaction.js';
import { fromBytes } from './transaction.js';
import { linearRx } from '../regex-linear.js';

/** The CRS family a Strata finding scores in. */
function familyOf(d: Detector, f: Finding): string {
  if (d === commandDetector) return 'rce';
  if (d === traversalDetector) return f.rule.startsWith('rfi') ? 'rfi' : 'lfi';
  if (d === ssrfDetector) return 'rfi';
  if (d === protocolDetector) return 'protocol';
  if (f.rule === 'php-remote-include') return 'rfi';
  if (d === templateDetector) return 'java';
  if (f.rule.startsWith('php')) return 'php';
  if (f.rule.startsWith('java')) return 'java';
  return 'nodejs';
}

export interface StrataHit { family: string; finding: Finding; entry: Entry }

const DETECTORS: Detector[] = [commandDetector, codeDetector, templateDetector, traversalDetector, ssrfDetector, protocolDetector];
const NAME_DETECTORS: Detector[] = [codeDetector];
const ODD_NAME = linearRx(/proto|constructor/i);

/** Rules of the legacy header-line checks that CRS 3.3 does not have at PL1 (it scores other scanners and no byte-range count). */
const HEADER_RULES = new Set(['scanner-user-agent', 'scanner-header', 'protocol-range']);

/** Findings of Strata's header-line checks the CRS lacks: scanner User-Agents and headers (CRS's list misses Acunetix, Nuclei...), many byte ranges. */
export function strataHeaderHits(facts: HeaderFacts, paranoia: ParanoiaLevel, families: ReadonlySet<string>): Array<{ family: string; finding: Finding }> {
  const out: Array<{ family: string; finding: Finding }> = [];
  const ctx = { paranoia, limits: { maxArgs: 0, maxArgNameLength: 0, maxArgLength: 0, maxTotalArgLength: 0, maxHeaders: Infinity, maxHeaderLength: Infinity, allowedMethods: [], allowedContentTypes: ['*/*'] } };
  if (families.has('scanner')) for (const f of scannerDetector.inspectHeaders(facts, ctx)) if (HEADER_RULES.has(f.rule)) out.push({ family: 'scanner', finding: f });
  if (families.has('protocol')) for (const f of protocolDetector.inspectHeaders(facts, ctx)) if (HEADER_RULES.has(f.rule)) out.push({ family: 'protocol', finding: f });
  return out;
}

/** What Strata's detectors found in one value (cached by value). */
export type StrataValueHits = Array<{ family: string; finding: Finding }>;
type Hits = StrataValueHits;
const NO_HITS: Hits = [];
const CACHEABLE = 512;

/** Findings of Strata's detectors on one entry. */
function entryHits(e: Entry, paranoia: ParanoiaLevel, families: ReadonlySet<string>): Hits {
  const names = e.loc === 'query-name' || e.loc === 'body-name';
  // names: only those that can hold prototype pollution (as the legacy engine inspects them)
  if (names && !ODD_NAME.test(e.value)) return NO_HITS;
  const ctx = CTX[paranoia];
  const text = fromBytes(e.value);
  const classes = charClasses(text);
  // a path segment is a route parameter: judged as a query value is
  const loc: Location = e.loc === 'path' ? 'query' : e.loc;
  let view: InputView | undefined;
  let out: Hits | undefined;
  for (const d of names ? NAME_DETECTORS : DETECTORS) {
    if (!d.locations.includes(loc)) continue;
    const gate = d.gate?.(paranoia);
    if (gate !== undefined && (classes & gate) === 0) continue;
    view ??= new InputView(text, 3);
    // a path segment's name (`path.2`) is ours, not the client's: no name-based judgment (a URL parameter named `path`)
    for (const f of d.inspectValue?.({ location: loc, name: e.loc === 'path' ? '' : fromBytes(e.name), view }, ctx) ?? []) {
      if (f.paranoia > paranoia) continue;
      const family = familyOf(d, f);
      if (families.has(family)) (out ??= []).push({ family, finding: f });
    }
  }
  return out ?? NO_HITS;
}

const CTX: Record<ParanoiaLevel, DetectContext> = Object.fromEntries(([1, 2, 3, 4] as const).map((p) => [p, {
  paranoia: p, limits: { maxArgs: 0, maxArgNameLength: 0, maxArgLength: 0, maxTotalArgLength: 0, maxHeaders: 0, maxHeaderLength: 0, allowedMethods: [], allowedContentTypes: [] },
}])) as never;

/**
 * Findings of Strata's detectors on argument entries (query, body, path segments, header args,
 * cookies), at `paranoia`. `cache` keeps the findings of values up to 512 characters by value,
 * location and name (the detectors are pure): repeated values (a browser's User-Agent, Referer,
 * cookies, common query values) cost one lookup.
 */
export function strataHits(entries: readonly Entry[], paranoia: ParanoiaLevel, families: ReadonlySet<string>, cache?: ValueCache<Hits>): StrataHit[] {
  const out: StrataHit[] = [];
  for (const e of entries) {
    if (e.value === '') continue;
    let hits: Hits | undefined;
    if (cache !== undefined && e.value.length <= CACHEABLE) {
      const h = valueHash(e.value);
      hits = cache.get(e.value, e.loc, e.name, h);
      if (hits === undefined) { hits = entryHits(e, paranoia, families); cache.offer(e.value, e.loc, e.name, h, hits); }
    } else hits = entryHits(e, paranoia, families);
    for (const x of hits) out.push({ family: x.family, finding: x.finding, entry: e });
  }
  return out;
}
