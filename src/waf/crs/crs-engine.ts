// The WafEngine on the OWASP Core Rule Set: phase 1 and the head's part of phase 2 when
// the head arrives, the rest of phase 2 over what the body adds. A finding is a CRS rule
// match that raised the anomaly score; Strata's exclusions (by family, rule id, route and
// parameter) drop findings before they count.
import type { ParanoiaLevel, Severity } from '../detector.js';
import { compileExclusions, exclusionsFor, isExcluded, type CompiledExclusion } from '../exclusions.js';
import type { BodyCarry, Detection, HeadRequest, WafEngine, WafEngineOptions, WafScope } from '../waf-engine.js';
import { loadCrs, type LoadedCrs } from './crs-load.js';
import { runPhase, startTx, type RuleMatch } from './rule-run.js';
import { Transaction, fromBytes, type MemoSource, type ValueMemo } from './transaction.js';
import { ValueCache, valueHash } from '../value-cache.js';
import { addBody, headTransaction } from './request-transaction.js';
import { framingFindings } from './http-framing.js';
import { FAMILY_NAMES, familiesOf, familyOf, familyOfFile } from './crs-families.js';

const SEVERITY: Record<string, Severity> = { emergency: 'critical', alert: 'critical', critical: 'critical', error: 'error', warning: 'warning', notice: 'notice' };
const CACHEABLE_LENGTH = 512;
const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;
const EXCERPT = new Set(['path', 'query', 'query-name', 'header']);

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
    const m: ValueMemo = { memo: new Map(), res: new Int8Array(slots) };
    values.offer(value, '', '', h, m);
    return m;
  };
  const lim = { maxDepth: options.limits.maxBodyDepth, maxParts: options.limits.maxBodyParts };

  const collect = (out: Detection[], active: CompiledExclusion[]) => (m: RuleMatch) => {
    if (m.score <= 0) return;
    // 920350 (Host is a numeric IP) keeps scanners off servers reached by address; a loopback
    // Host is local development, where it would flag every request
    if (m.rule.id === 920350 && m.target !== undefined && LOOPBACK.test(m.target.entry.value)) return;
    const family = familyOf(m.rule.id);
    const t = m.target?.entry;
    if (active.length > 0 && isExcluded(active, family, String(m.rule.id), t?.loc, t?.name)) return;
    const d: Detection = {
      detector: family, rule: String(m.rule.id), severity: SEVERITY[m.rule.severity ?? 'critical'] ?? 'notice', score: m.score,
      paranoia: Math.min(4, Math.max(1, m.rule.paranoia)) as ParanoiaLevel, message: m.rule.msg ?? '',
    };
    if (t !== undefined) {
      d.location = t.loc;
      d.name = fromBytes(t.name).slice(0, 128);
      if (EXCERPT.has(t.loc)) d.excerpt = fromBytes(t.value).slice(0, 120);
    }
    out.push(d);
  };

  const activeFor = (method: string, routeUrl: string | undefined, path: string) => (exclusions.length > 0 ? exclusionsFor(exclusions, method, routeUrl, path) : []);

  return {
    options,
    inspectHead(req: HeadRequest, routeUrl?: string, _memo?: unknown, carry?: BodyCarry) {
      const out: Detection[] = [];
      if (options.mode === 'off') return out;
      const q = req.url.indexOf('?');
      const active = activeFor(req.method, routeUrl, q === -1 ? req.url : req.url.slice(0, q));
      for (const f of framingFindings(req)) {
        if (!(active.length > 0 && isExcluded(active, 'protocol', f.rule))) out.push({ detector: 'protocol', rule: f.rule, severity: 'critical', score: 5, paranoia: 1, message: f.message });
      }
      const tx = headTransaction(req, memoOf);
      startTx(crs.set, tx);
      const on = collect(out, active);
      runPhase(crs.set, 1, tx, on);
      runPhase(crs.set, 2, tx, on);
      if (carry !== undefined) carry.state = { tx, active } satisfies CarryState;
      return out;
    },
    inspectBody(body: unknown, contentType: string, scope: WafScope, carry?: BodyCarry) {
      const out: Detection[] = [];
      if (options.mode === 'off' || body === undefined || body === null) return out;
      const prev = carry?.state as CarryState | undefined;
      const active = prev?.active ?? activeFor(scope.method, scope.routeUrl, scope.path);
      let tx = prev?.tx;
      if (tx === undefined) {
        tx = new Transaction();
        tx.memoOf = memoOf;
        startTx(crs.set, tx);
      }
      tx.bodyPass = true;
      const errors = addBody(tx, body, contentType, lim);
      const on = collect(out, active);
      // ModSecurity's recommended config denies a body its processor fails on (rule 200002, REQBODY_ERROR)
      if ((errors.xmlExternalEntity || errors.xmlEntityExpansion) && !(active.length > 0 && isExcluded(active, 'protocol', '200002'))) {
        out.push({ detector: 'protocol', rule: '200002', severity: 'critical', score: 5, paranoia: 1, location: 'body', name: 'xml',
          message: errors.xmlExternalEntity ? 'Failed to parse request body: XML external entity declaration' : 'Failed to parse request body: nested XML entity definitions' });
      }
      // without the head's transaction, phase 1 runs on the body's values alone
      if (prev === undefined) runPhase(crs.set, 1, tx, on);
      runPhase(crs.set, 2, tx, on);
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
