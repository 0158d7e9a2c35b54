// The inspection engine's contract and its factory: `crs` (default) runs the OWASP Core
// Rule Set through Strata's SecLang engine (crs/); `legacy` runs the hand-written
// detectors. Both are pure (no I/O, no clock) and add up CRS-style anomaly scores.
import type { DetectorLimits, Finding, Location, ParanoiaLevel } from './detector.js';
import type { WafExclusion } from './exclusions.js';
import { createLegacyEngine } from './legacy-engine.js';
import { createCrsEngine } from './crs/crs-engine.js';
import type { StrataSchema } from './strata-args.js';

export type WafMode = 'off' | 'detect' | 'block';
export type EngineName = 'crs' | 'legacy';

export interface WafEngineOptions {
  mode: WafMode;
  /** Which engine inspects requests; `crs` when omitted. */
  engine?: EngineName;
  paranoia: ParanoiaLevel;
  /** Inbound anomaly score at which a request is blocked. */
  threshold: number;
  /** Detector (legacy) or CRS family names to run; all when omitted. */
  detectors?: readonly string[];
  exclusions?: readonly WafExclusion[];
  limits: DetectorLimits & { maxDecodePasses: number; maxBodyDepth: number; maxBodyParts: number };
  /** Distinct values (up to 512 chars) whose results are memoized; 0 disables. */
  cacheSize?: number;
  /** Strata's collections: on the records routes, filters are parsed and typed fields that validate skipped (strata-args.ts). */
  schema?: StrataSchema;
}

export interface Detection {
  /** The detector (legacy) or CRS family (sqli, xss, lfi, rce, protocol...) that found it. */
  detector: string;
  /** The rule: a CRS rule id (`942100`) or a legacy rule name (`sqli-tautology`). */
  rule: string;
  severity: Finding['severity'];
  score: number;
  paranoia: ParanoiaLevel;
  message: string;
  location?: Location;
  name?: string;
  /** First characters of the decoded value, for path/query/header findings only (never bodies or cookies). */
  excerpt?: string;
  /** The record field (`posts.content`) the value belongs to, when Strata knows it (exclusions by collection and field). */
  field?: string;
}

export interface HeadRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
}

export interface WafScope {
  method: string;
  path: string;
  routeUrl?: string;
  /**
   * Body fields (`urls.*`, `host`) the route declares as URLs, given when an authenticated
   * superuser calls an admin route: the SSRF/RFI family is not scored on them.
   */
  urlFields?: readonly string[];
}

/**
 * What one connection's previous request head gave: keep-alive clients (browsers, SDKs,
 * proxies) send the same User-Agent, Referer and cookies on every request of a
 * connection, so when its raw header lines are identical (compared by value, pseudo-headers
 * aside) their findings are reused instead of recomputed. Owned by the caller, one per
 * connection; start with `{}`. `hits` is the engine's own record.
 */
export interface HeadMemo { raw?: string[]; version?: string; hits?: unknown }

/**
 * Carries a request's inspection state from its head to its body (one per request; start
 * with `{}`): with it, the CRS engine judges the head's values once and the body pass
 * looks only at what the body adds.
 */
export interface BodyCarry { state?: unknown }

export interface WafEngine {
  readonly options: WafEngineOptions;
  /** Findings of the request head; `memo` (one per connection) reuses the header findings of the previous request when its header lines repeat. */
  inspectHead(req: HeadRequest, routeUrl?: string, memo?: HeadMemo, carry?: BodyCarry): Detection[];
  inspectBody(body: unknown, contentType: string, scope: WafScope, carry?: BodyCarry): Detection[];
  score(detections: readonly Detection[]): number;
}

/** Builds the engine `options.engine` names (`crs` by default). */
export function createWafEngine(options: WafEngineOptions): WafEngine {
  return options.engine === 'legacy' ? createLegacyEngine(options) : createCrsEngine(options);
}
