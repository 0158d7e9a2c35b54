// The WafEngine on the OWASP Core Rule Set: phase 1 and the head's part of phase 2 when
// the head arrives, the rest of phase 2 over what the body adds. A finding is a CRS rule
// match that raised the anomaly score; Strata's exclusions (by family, rule id, route and
// parameter) drop findings before they count.
import { SEVERITY_SCORE, type ParanoiaLevel, type Severity } from '../detector.js';
import { compileExclusions, exclusionsFor, isExcluded, type CompiledExclusion } from '../exclusions.js';
import type { BodyCarry, Detection, HeadRequest, WafEngine, WafEngineOptions, WafScope } from '../waf-engine.js';
import { loadCrs, type LoadedCrs } from './crs-load.js';
import { runPhase, startTx, type HeadKnown, type RuleMatch } from './rule-run.js';
import { Transaction, fromBytes, type MemoSource, type ValueMemo } from './transaction.js';
import { ValueCache, valueHash } from '../value-cache.js';
import { addBody, headTransaction } from './request-transaction.js';
import { framingFindings } from './http-framing.js';
import { FAMILY_NAMES, familiesOf, familyOf, familyOfFile } from './crs-families.js';
import { argReaderFor } from '../strata-args.js';
import { urlFieldExclusions } from '../exclusions.js';
import { confirms } from './confirm-gate.js';
import { REDIRECT_NAME } from '../detectors/ssrf.js';
import { strataHeaderHits, strataHits, type StrataValueHits } from './strata-rules.js';
import { linearRx } from '../regex-linear.js';

const SEVERITY: Record<string, Severity> = { emergency: 'critical', alert: 'critical', critical: 'critical', error: 'error', warning: 'warning', notice: 'notice' };
const CACHEABLE_LENGTH = 512;
const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;
const LOOPBACK_URL = linearRx(/^(?:file|ftps?|https?):\/\/(?:[^/?#@]*@)?(?:127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?(?:[/?#]|$)/i);
const HTTP_URL = linearRx(/^https?:\/\//i);
const EXCERPT = new Set(['path', 'query', 'query-name', 'header']);

const HEAD_KEY_MAX = 16_384;

/** A request head as one string: method, target, route pattern, protocol version and every header line in order. */
function headKeyOf(req: HeadRequest, routeUrl: string | undefined): string {
  let k = `${req.method} ${req.url} ${routeUrl ?? ''} ${req.httpVersion}`;
  if (req.rawHeaders !== undefined && req.rawHeaders.length > 0) {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) k += `\n${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`;
  } else {
    for (const name in req.headers) {
      const v = req.headers[name];
      if (v !== undefined) k += `\n${name}: ${Array.isArray(v) ? v.join('\n' + name + ': ') : v}`;
    }
  }
  return k;
}

/** A head's method, protocol version and header lines: what decides the entries of HEAD_ONLY_VARS (rule-variables.ts). */
function headerSetKeyOf(req: HeadRequest): string {
  let k = `${req.method} ${req.httpVersion}`;
  if (req.rawHeaders !== undefined && req.rawHeaders.length > 0) {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) k += `\n${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`;
  } else {
    for (const name in req.headers) {
      const v = req.headers[name];
      if (v !== undefined) k += `\n${name}: ${Array.isArray(v) ? v.join('\n' + name + ': ') : v}`;
    }
  }
  return k;
}

/** Header sets whose head-only rule outcomes an engine keeps (least recently used dropped first). */
const HEADER_SETS = 64;

/** Compiled rule sets are shared by engines with the same setup (tests and benches build many). */
const cache = new Map<string, LoadedCrs>();

function load(options: WafEngineOptions): LoadedCrs {
  const families = new Set((options.detectors ?? FAMILY_NAMES).flatMap(familiesOf));
  const lm = options.limits;
  const setup = {
    paranoia: options.paranoia, threshold: options.threshold, allowedMethods: lm.allowedMethods, allowedContentTypes: lm.allowedContentTypes,
    maxArgs: lm.maxArgs, maxArgNameLength: lm.maxArgNameLength, maxArgLength: lm.maxArgLength, maxTotalArgLength: lm.maxTotalArgLength,
  };
  const key = JSON.stringify([setup, [...families].sort()]);
  let l = cache.get(key);
  if (l === undefined) {
    l = loadCrs(setup, (f) => { const fam = familyOfFile(f); return fam === undefined || families.has(fam); });
    cache.set(key, l);
  }
  return l;
}

interface CarryState { tx: Transaction; active: CompiledExclusion[] }

export function createCrsEngine(options: WafEngineOptions): WafEngine {
  const crs = load(options);
  const families = new Set((options.detectors ?? FAMILY_NAMES).flatMap(familiesOf));
  const exclusions = compileExclusions((options.exclusions ?? []).map((e) => ({ ...e, detectors: e.detectors?.flatMap(familiesOf) })));
  // Values repeat across requests (paths, query values, User-Agents, cookies): their
  // transformations and rule outcomes are kept (direct-mapped, admitted on a second sighting)
  const size = options.cacheSize ?? 0;
  const values = size > 0 ? new ValueCache<ValueMemo>(size) : undefined;
  const slots = crs.set.slots;
  const memoOf: MemoSource | undefined = values === undefined ? undefined : (value) => {
    if (value.length > CACHEABLE_LENGTH) return undefined;
    const h = valueHash(value);
    const hit = values.get(value, '', '', h);
    if (hit !== undefined) return hit;
    // a value seen for the first time is only remembered by hash: its memo lives as long as the request, so the
    // outcome array (one byte per rule slot, a costly allocation) is made only for a value the cache keeps
    const m: ValueMemo = { memo: [], res: undefined };
    if (values.offer(value, '', '', h, m)) m.res = new Int8Array(slots);
    return m;
  };
  const lim = { maxDepth: options.limits.maxBodyDepth, maxParts: options.limits.maxBodyParts };
  // Whole heads repeat (a page polled, a list re-read, assets over keep-alive, the same gRPC call
  // connections): the findings of an identical head (method, target, route, every header line) are
  // the same, so they are kept too (same admission rule), and such a request costs one hash and lookup
  const heads = size > 0 ? new ValueCache<Detection[]>(Math.max(256, size >> 2)) : undefined;
  // Browsers send the same header lines on every request (and over every connection): which head-only rules
  // matched nothing on a header set is kept per header set, and a head with the same set walks only the rest
  const headerSets = new Map<string, HeadKnown>();
  const knownFor = (req: HeadRequest): HeadKnown | undefined => {
    const key = headerSetKeyOf(req);
    if (key.length > HEAD_KEY_MAX) return undefined;
    let k = headerSets.get(key);
    if (k !== undefined) { headerSets.delete(key); headerSets.set(key, k); return k; }
    k = new Map();
    headerSets.set(key, k);
    if (headerSets.size > HEADER_SETS) headerSets.delete(headerSets.keys().next().value as string);
    return k;
  };
  // what Strata's detectors found in a value, by value, location and name (same admission rule as the CRS memo)
  const strataCache = size > 0 ? new ValueCache<StrataValueHits>(size) : undefined;

  const collect = (out: Detection[], active: CompiledExclusion[]) => (m: RuleMatch) => {
    if (m.score <= 0) return;
    // 920350 (Host is a numeric IP) keeps scanners off servers reached by address; a loopback
    // Host is local development, where it would flag every request
    if (m.rule.id === 920350 && m.target !== undefined && LOOPBACK.test(m.target.entry.value)) return;
    // 931100 (a URL parameter naming a numeric IP) is remote file inclusion: the loopback address is the
    // server itself, not a remote host, and the redirect URI of OAuth native apps (RFC 8252 §7.3)
    // 931100 on a redirect URI (`redirect_uri`, `redirectURL`): the browser goes there, the server fetches nothing (RFC 6749 §3.1.2)
    if (m.rule.id === 931100 && m.target !== undefined && (LOOPBACK_URL.test(m.target.entry.value) || (REDIRECT_NAME.test(m.target.entry.name) && HTTP_URL.test(m.target.entry.value)))) return;
    // 920120/920121 (quotes and `;=` in a multipart file name: parser evasion) on an apostrophe alone: names
    // (`O'Brien CV.docx`); file names are also arguments here, so SQL injection in one is 942's
    if ((m.rule.id === 920120 || m.rule.id === 920121) && m.target !== undefined && !/["';=]/.test(m.target.entry.value.replace(/'/g, ''))) return;
    if (m.target !== undefined && !confirms(m.rule.id, m.target.entry.value, options.paranoia, m.rule.paranoia)) return;
    const family = familyOf(m.rule.id);
    const t = m.target?.entry;
    // Origin and Referer name where the browser came from (a local dev frontend, another site), never
    // a file the server includes: not RFI (931130 flags every off-domain URL at PL2)
    if (family === 'rfi' && t !== undefined && t.loc === 'header' && (t.name === 'origin' || t.name === 'referer')) return;
    if (active.length > 0 && isExcluded(active, family, String(m.rule.id), t?.loc, t?.name, t?.field)) return;
    const d: Detection = {
      detector: family, rule: String(m.rule.id), severity: SEVERITY[m.rule.severity ?? 'critical'] ?? 'notice', score: m.score,
      paranoia: Math.min(4, Math.max(1, m.rule.paranoia)) as ParanoiaLevel, message: m.rule.msg ?? '',
    };
    if (t !== undefined) {
      d.location = t.loc;
      d.name = fromBytes(t.name).slice(0, 128);
      if (EXCERPT.has(t.loc)) d.excerpt = fromBytes(t.value).slice(0, 120);
      if (t.field !== undefined) d.field = t.field;
    }
    out.push(d);
  };

  /** Strata's tokenizers over the pass's arguments (strata-rules.ts), scored in their CRS family. */
  const strata = (tx: Transaction, bodyPass: boolean, out: Detection[], active: CompiledExclusion[]) => {
    const all = [...(tx.collections.get('ARGS') ?? []), ...(tx.collections.get('ARGS_NAMES') ?? []), ...(bodyPass ? [] : tx.collections.get('REQUEST_COOKIES') ?? [])];
    const entries = bodyPass ? all.filter((e) => e.body === true) : all;
    for (const h of strataHits(entries, options.paranoia, families, strataCache)) {
      const rule = `strata-${h.finding.rule}`;
      const e = h.entry;
      if (active.length > 0 && isExcluded(active, h.family, rule, e.loc, e.name, e.field)) continue;
      const d: Detection = { detector: h.family, rule, severity: h.finding.severity, score: SEVERITY_SCORE[h.finding.severity], paranoia: h.finding.paranoia, message: h.finding.message, location: e.loc, name: fromBytes(e.name).slice(0, 128) };
      if (EXCERPT.has(e.loc)) d.excerpt = fromBytes(e.value).slice(0, 120);
      if (e.field !== undefined) d.field = e.field;
      out.push(d);
    }
  };

  const activeFor = (method: string, routeUrl: string | undefined, path: string) => (exclusions.length > 0 ? exclusionsFor(exclusions, method, routeUrl, path) : []);

  /** Phase 1 and the head's part of phase 2; the transaction goes on to the body pass. */
  const headPass = (req: HeadRequest, routeUrl: string | undefined, out: Detection[]): CarryState => {
    const q = req.url.indexOf('?');
    const active = activeFor(req.method, routeUrl, q === -1 ? req.url : req.url.slice(0, q));
    for (const f of framingFindings(req)) {
      if (!(active.length > 0 && isExcluded(active, 'protocol', f.rule))) out.push({ detector: 'protocol', rule: f.rule, severity: 'critical', score: 5, paranoia: 1, message: f.message });
    }
    for (const h of strataHeaderHits(req, options.paranoia, families)) {
      const rule = `strata-${h.finding.rule}`;
      if (!(active.length > 0 && isExcluded(active, h.family, rule, 'header'))) out.push({ detector: h.family, rule, severity: h.finding.severity, score: SEVERITY_SCORE[h.finding.severity], paranoia: h.finding.paranoia, message: h.finding.message });
    }
    const tx = headTransaction(req, memoOf, argReaderFor(options.schema, { method: req.method, path: q === -1 ? req.url : req.url.slice(0, q) }));
    startTx(crs.set, tx);
    const on = collect(out, active);
    const known = knownFor(req);
    runPhase(crs.set, 1, tx, on, known);
    runPhase(crs.set, 2, tx, on, known);
    strata(tx, false, out, active);
    return { tx, active };
  };

  return {
    options,
    inspectHead(req: HeadRequest, routeUrl?: string, _memo?: unknown, carry?: BodyCarry) {
      const out: Detection[] = [];
      if (options.mode === 'off') return out;
      let headKey: string | undefined, headHash = 0;
      if (heads !== undefined) {
        headKey = headKeyOf(req, routeUrl);
        if (headKey.length > HEAD_KEY_MAX) headKey = undefined;
        else {
          headHash = valueHash(headKey);
          const hit = heads.get(headKey, '', '', headHash);
          if (hit !== undefined) {
            // A repeated head carries no transaction: a body pass after it starts its own (phase 1 and 2 on
            // the body's values, as for a body inspected without its head), so a repeated call with a body
            // (a records RPC call, a REST create) does not run the head's rules again. The head's findings
            // are the cached ones; test/waf-crs-outcomes.test.ts pins that detections are the same.
            return hit.map((d) => ({ ...d }));
          }
        }
      }
      const state = headPass(req, routeUrl, out);
      if (carry !== undefined) carry.state = state;
      if (headKey !== undefined) heads?.offer(headKey, '', '', headHash, out.map((d) => ({ ...d })));
      return out;
    },
    inspectBody(body: unknown, contentType: string, scope: WafScope, carry?: BodyCarry) {
      const out: Detection[] = [];
      if (options.mode === 'off' || body === undefined || body === null) return out;
      const prev = carry?.state as CarryState | undefined;
      let active = prev?.active ?? activeFor(scope.method, scope.routeUrl, scope.path);
      if (scope.urlFields !== undefined && scope.urlFields.length > 0) active = [...active, ...urlFieldExclusions(scope.urlFields, ['rfi'])];
      let tx = prev?.tx;
      if (tx === undefined) {
        tx = new Transaction();
        tx.memoOf = memoOf;
        startTx(crs.set, tx);
      }
      tx.bodyPass = true;
      const errors = addBody(tx, body, contentType, lim, argReaderFor(options.schema, scope));
      const on = collect(out, active);
      // ModSecurity's recommended config denies a body its processor fails on (rule 200002, REQBODY_ERROR)
      if ((errors.xmlExternalEntity || errors.xmlEntityExpansion) && !(active.length > 0 && isExcluded(active, 'protocol', '200002'))) {
        out.push({ detector: 'protocol', rule: '200002', severity: 'critical', score: 5, paranoia: 1, location: 'body', name: 'xml',
          message: errors.xmlExternalEntity ? 'Failed to parse request body: XML external entity declaration' : 'Failed to parse request body: nested XML entity definitions' });
      }
      // without the head's transaction, phase 1 runs on the body's values alone
      if (prev === undefined) runPhase(crs.set, 1, tx, on);
      runPhase(crs.set, 2, tx, on);
      strata(tx, true, out, active);
      return out;
    },
    score(detections) {
      let s = 0;
      for (const d of detections) s += d.score;
      return s;
    },
  };
}

/** Rules the vendored CRS holds that this engine leaves out, with the reason (for docs and tests). */
export function crsSkipped(options: WafEngineOptions): LoadedCrs['skipped'] {
  return load(options).skipped;
}
