// The hand-written detectors' engine (waf.engine: legacy), kept for comparison: runs the
// detectors over every part of a request and adds up an anomaly score (OWASP CRS scoring
// model: critical 5, error 4, warning 3, notice 2). Pure: no I/O, no clock.
import type { Detector, DetectContext, Finding, Location, RequestFacts } from './detector.js';
import { SEVERITY_SCORE } from './detector.js';
import { builtinDetectors, DETECTOR_NAMES } from './detector-catalog.js';
import { InputView } from './transform-view.js';
import { CC, charClasses } from './char-classes.js';
import { ValueCache, valueHash } from './value-cache.js';
import { isPlainShape } from './value-shape.js';
import type { InspectedValue } from './detector.js';
import { headerParts, splitUrlencoded, urlParts, type RawPart } from './request-parts.js';
import { jsonParts, multipartParts, xmlParts } from './body-parts.js';
import { MSGPACK_TYPES, PROTOBUF_TYPES, msgpackParts, protobufParts } from './body-binary.js';
import { compileExclusions, exclusionsFor, isExcluded, urlFieldExclusions, type CompiledExclusion } from './exclusions.js';
import { argReaderFor, type ArgPart } from './strata-args.js';
import { valueViews } from './value-views.js';
import type { Detection, HeadMemo, HeadRequest, WafEngine, WafEngineOptions } from './waf-engine.js';

interface Hit { d: Detector; f: Finding; excerpt?: string }
const NO_HITS: Hit[] = [];
const NO_DETECTORS: Detector[] = [];
const CACHEABLE_LENGTH = 512;
const UNCACHED = new Set<Location>(['body', 'body-name', 'filename']);
/** The only character classes (besides letters and digits) a plain shape holds: `+-,._:` and the space of `2026-11-20 10:00`. */
const PLAIN_CLASSES = CC.OP | CC.DOT | CC.UNDER | CC.COLON | CC.SPACE;
/** Findings of one header or cookie value; `part` undefined for the header-level checks (`inspectHeaders`). */
interface PartHits { part?: RawPart; hits: Hit[] }

/** Same header lines as the memo's, in the same order; HTTP/2 pseudo-headers (`:path`...) may differ. */
function sameHeaders(prev: string[], raw: string[]): boolean {
  if (prev.length !== raw.length) return false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name !== prev[i]) return false;
    if (raw[i + 1] !== prev[i + 1] && name.charCodeAt(0) !== 58) return false;
  }
  return true;
}

const EXCERPT_LOCATIONS = new Set<Location>(['path', 'query', 'query-name', 'header']);

const GRAMMAR = new Set(['filter', 'sort', 'fields', 'expand', 'groupBy']);
const decodeQuery = (v: string) => { try { return decodeURIComponent(v); } catch { return v; } };

export function createLegacyEngine(options: WafEngineOptions): WafEngine {
  const detectors = builtinDetectors(options.detectors ?? DETECTOR_NAMES);
  const compiled: CompiledExclusion[] = compileExclusions(options.exclusions ?? []);
  const ctx: DetectContext = { paranoia: options.paranoia, limits: options.limits };
  const byLocation = new Map<Location, Detector[]>();
  for (const d of detectors) for (const l of d.locations) byLocation.set(l, [...(byLocation.get(l) ?? []), d]);
  const plainByLocation = new Map<Location, Detector[]>();
  for (const [l, ds] of byLocation) plainByLocation.set(l, ds.filter((d) => d.mayFireOnPlain !== undefined));
  const gates = new Map<Detector, number>();
  for (const d of detectors) gates.set(d, d.gate ? d.gate(options.paranoia) : -1);
  const requestLevel = detectors.filter((d) => d.inspectRequest !== undefined);
  const headerLevel = detectors.filter((d) => d.inspectHeaders !== undefined);

  const cache = (options.cacheSize ?? 0) > 0 ? new ValueCache<Hit[]>(options.cacheSize as number) : undefined;

  const record = (out: Detection[], d: Detector, f: Finding, active: CompiledExclusion[], part?: ArgPart, excerpt?: string) => {
    if (f.paranoia > options.paranoia) return;
    if (active.length > 0 && isExcluded(active, d.name, f.rule, part?.location, part?.name, part?.field)) return;
    const det: Detection = { detector: d.name, rule: f.rule, severity: f.severity, score: SEVERITY_SCORE[f.severity], paranoia: f.paranoia, message: f.message };
    if (part) {
      det.location = part.location;
      det.name = part.name.slice(0, 128);
      if (excerpt !== undefined) det.excerpt = excerpt;
    }
    out.push(det);
  };

  /** Every detector's findings for one value (exclusions are applied by the caller, so results are cacheable). */
  const detect = (part: RawPart, ds: Detector[], rawClasses: number): Hit[] => {
    let classes = rawClasses;
    let input: InspectedValue | undefined;
    if ((classes & CC.PCT) !== 0) {
      // percent-escapes would open every gate: judge by what they decode to instead
      input = { location: part.location, name: part.name, view: new InputView(part.value, options.limits.maxDecodePasses) };
      const v = input.view;
      classes = charClasses(v.decoded) | (v.nullByte ? CC.CTRL : 0) | (v.invalidEncoding ? CC.PCT : 0) | (v.overlong ? CC.SLASH | CC.DOT | CC.CTRL : 0);
    }
    let hits: Hit[] = NO_HITS;
    for (const d of ds) {
      const gate = gates.get(d) as number;
      if (gate !== -1 && (classes & gate) === 0) continue;
      input ??= { location: part.location, name: part.name, view: new InputView(part.value, options.limits.maxDecodePasses) };
      const found = d.inspectValue?.(input, ctx);
      if (!found || found.length === 0) continue;
      if (hits === NO_HITS) hits = [];
      const excerpt = EXCERPT_LOCATIONS.has(part.location) ? input.view.decoded.slice(0, 120) : undefined;
      for (const f of found) if (f.paranoia <= options.paranoia) hits.push({ d, f, excerpt });
    }
    return hits;
  };

  /** The findings of one value before exclusions (cacheable), or undefined when no detector looks at it. */
  const hitsOf = (part: RawPart): Hit[] | undefined => {
    let ds = byLocation.get(part.location);
    if (!ds) return undefined;
    // one scan of the value serves the plain-shape pre-check and the detectors' gates
    const classes = charClasses(part.value);
    if ((classes & ~PLAIN_CLASSES) === 0 && isPlainShape(part.value)) {
      // words, numbers, UUIDs, dates: only detectors that say they may fire on them, uncached
      let few: Detector[] | undefined;
      for (const d of plainByLocation.get(part.location) ?? NO_DETECTORS) if (d.mayFireOnPlain?.(part.location, part.name, part.value)) (few ??= []).push(d);
      if (few === undefined) return undefined;
      ds = few;
      return detect(part, ds, classes);
    }
    // body values come from documents that rarely repeat: hashing them costs more than it saves
    // keyed by the value alone (no concatenated key to build and hash), checked against location and name
    const hash = cache !== undefined && part.value.length <= CACHEABLE_LENGTH && !UNCACHED.has(part.location) ? valueHash(part.value) : -1;
    if (hash !== -1) {
      const e = (cache as ValueCache<Hit[]>).get(part.value, part.location, part.name, hash);
      if (e !== undefined) return e;
    }
    const hits = detect(part, ds, classes);
    if (hash !== -1) (cache as ValueCache<Hit[]>).offer(part.value, part.location, part.name, hash, hits);
    return hits;
  };

  const apply = (part: ArgPart, hits: Hit[], active: CompiledExclusion[], out: Detection[]) => {
    for (const h of hits) {
      if (active.length > 0 && isExcluded(active, h.d.name, undefined, part.location, part.name, part.field)) continue;
      record(out, h.d, h.f, active, part, h.excerpt);
    }
  };

  const applyRequestLevel = (hits: Hit[], active: CompiledExclusion[], out: Detection[]) => {
    for (const h of hits) if (!(active.length > 0 && isExcluded(active, h.d.name, undefined))) record(out, h.d, h.f, active);
  };

  const inspectParts = (parts: RawPart[], active: CompiledExclusion[], out: Detection[]) => {
    for (const part of parts) {
      const hits = hitsOf(part);
      if (hits !== undefined && hits.length > 0) apply(part, hits, active, out);
    }
  };

  /** Findings of the header-level checks and of the header and cookie values, reused from `memo` when the header lines repeat. */
  const headerHits = (req: HeadRequest, memo: HeadMemo | undefined): PartHits[] => {
    const raw = req.rawHeaders;
    if (memo !== undefined && raw !== undefined && memo.raw !== undefined && memo.hits !== undefined && memo.version === req.httpVersion && sameHeaders(memo.raw, raw)) return memo.hits as PartHits[];
    const found: PartHits[] = [];
    for (const d of headerLevel) {
      const fs = d.inspectHeaders?.(req, ctx);
      if (fs !== undefined && fs.length > 0) found.push({ hits: fs.map((f) => ({ d, f })) });
    }
    const parts: RawPart[] = [];
    headerParts(req.headers, options.paranoia, parts);
    for (const part of parts) {
      const hits = hitsOf(part);
      if (hits !== undefined && hits.length > 0) found.push({ part, hits });
    }
    if (memo !== undefined && raw !== undefined) {
      memo.raw = raw;
      memo.version = req.httpVersion;
      memo.hits = found;
    }
    return found;
  };

  const argFacts = (parts: RawPart[]) => {
    let argCount = 0, total = 0, maxLen = 0;
    const names: string[] = [];
    for (const p of parts) {
      if (p.location !== 'query' && p.location !== 'body' && p.location !== 'filename') continue;
      argCount++;
      total += p.value.length + p.name.length;
      if (p.value.length > maxLen) maxLen = p.value.length;
      names.push(p.name);
    }
    return { argCount, argTotalLength: total, maxArgLength: maxLen, argNames: names };
  };

  return {
    options,
    inspectHead(req, routeUrl, memo) {
      const out: Detection[] = [];
      if (options.mode === 'off') return out;
      const q = req.url.indexOf('?');
      const path = q === -1 ? req.url : req.url.slice(0, q);
      const active = compiled.length > 0 ? exclusionsFor(compiled, req.method, routeUrl, path) : [];
      let parts: ArgPart[] = [];
      urlParts(req.url, parts);
      const reader = argReaderFor(options.schema, { method: req.method, path });
      // the grammar parameters are read decoded (query values are kept percent-encoded here)
      if (reader !== undefined) parts = reader.query(parts.map((p) => (p.location === 'query' && GRAMMAR.has(p.name) ? { ...p, value: decodeQuery(p.value) } : p)));
      parts = valueViews(parts, false);
      const facts: RequestFacts = { method: req.method, url: req.url, httpVersion: req.httpVersion, headers: req.headers, rawHeaders: req.rawHeaders, ...argFacts(parts) };
      const headers = headerHits(req, memo);
      // header-level checks first, then the request-level ones, then values (the order findings are listed in)
      for (const h of headers) if (h.part === undefined) applyRequestLevel(h.hits, active, out);
      for (const d of requestLevel) {
        if (active.length > 0 && isExcluded(active, d.name, undefined)) continue;
        for (const f of d.inspectRequest?.(facts, ctx) ?? []) record(out, d, f, active);
      }
      inspectParts(parts, active, out);
      for (const h of headers) if (h.part !== undefined) apply(h.part, h.hits, active, out);
      return out;
    },
    inspectBody(body, contentType, scope) {
      const out: Detection[] = [];
      if (options.mode === 'off' || body === undefined || body === null) return out;
      let active = compiled.length > 0 ? exclusionsFor(compiled, scope.method, scope.routeUrl, scope.path) : [];
      if (scope.urlFields !== undefined && scope.urlFields.length > 0) active = [...active, ...urlFieldExclusions(scope.urlFields, ['ssrf'])];
      const lim = { maxDepth: options.limits.maxBodyDepth, maxParts: options.limits.maxBodyParts };
      let parts: ArgPart[] = [];
      const mt = contentType.split(';', 1)[0].trim().toLowerCase();
      // raw MessagePack / protobuf bytes (a parser that already decoded them hands over a tree, walked below)
      const binary = MSGPACK_TYPES.has(mt) ? msgpackParts : PROTOBUF_TYPES.has(mt) ? protobufParts : undefined;
      const bytes = binary === undefined ? undefined : Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'latin1') : undefined;
      // JSON, XML and text are UTF-8 (RFC 8259 §8.1); other bodies are read byte for byte
      const utf8 = mt.endsWith('json') || mt.endsWith('xml') || mt.startsWith('text/');
      const text = bytes !== undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString(utf8 ? 'utf8' : 'latin1') : undefined;
      const protocol = detectors.find((d) => d.name === 'protocol');
      if (binary !== undefined && bytes !== undefined) binary(bytes, parts, lim);
      else if (text === undefined) jsonParts(body, parts, lim);
      else if (mt === 'application/x-www-form-urlencoded') splitUrlencoded(text, 'body', parts);
      else if (mt.startsWith('multipart/')) multipartParts(text, contentType, parts, lim);
      else if (mt.endsWith('/xml') || mt.endsWith('+xml')) {
        const { external, expansion } = xmlParts(text, parts, lim);
        if (external && protocol) record(out, protocol, { rule: 'xml-external-entity', severity: 'critical', paranoia: 1, message: 'XML external entity declaration (XXE)' }, active);
        if (expansion && protocol) record(out, protocol, { rule: 'xml-entity-expansion', severity: 'critical', paranoia: 1, message: 'nested XML entity definitions (entity expansion bomb)' }, active);
      } else if (mt.endsWith('/json') || mt.endsWith('+json')) {
        try { jsonParts(JSON.parse(text), parts, lim); } catch { parts.push({ location: 'body', name: 'body', value: text }); }
      } else if (mt.startsWith('text/') || mt === '') parts.push({ location: 'body', name: 'body', value: text });
      const reader = argReaderFor(options.schema, scope);
      if (reader !== undefined) parts = reader.body(parts);
      parts = valueViews(parts, false);
      if (protocol && !(active.length > 0 && isExcluded(active, 'protocol', undefined))) {
        const f = argFacts(parts);
        const lm = options.limits;
        if (f.argCount > lm.maxArgs || parts.length >= lim.maxParts) record(out, protocol, { rule: 'protocol-limits', severity: 'critical', paranoia: 1, message: 'too many body arguments' }, active);
        if (f.maxArgLength > lm.maxArgLength && mt !== 'text/plain') record(out, protocol, { rule: 'protocol-limits', severity: 'critical', paranoia: 1, message: 'body argument too long' }, active);
      }
      inspectParts(parts, active, out);
      return out;
    },
    score(detections) {
      let s = 0;
      for (const d of detections) s += d.score;
      return s;
    },
  };
}
