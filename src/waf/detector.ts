// The Detector contract: one module per attack family, pure functions of a
// normalized input (no I/O), each finding carrying a severity and paranoia level.
import type { InputView } from './transform-view.js';

export type ParanoiaLevel = 1 | 2 | 3 | 4;

/** Anomaly scores per severity, as in the OWASP Core Rule Set's anomaly scoring. */
export const SEVERITY_SCORE = { critical: 5, error: 4, warning: 3, notice: 2 } as const;
export type Severity = keyof typeof SEVERITY_SCORE;

/** Where a value came from; `name` is the parameter, header or cookie name. */
export type Location = 'method' | 'path' | 'query' | 'query-name' | 'header' | 'cookie' | 'body' | 'body-name' | 'filename';

/** One thing a detector found. `rule` is a stable id like `sqli-tautology`. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** Lowest paranoia level at which this finding counts. */
  paranoia: ParanoiaLevel;
  message: string;
}

/** A value to inspect: its location, parameter name and lazily normalized views. */
export interface InspectedValue {
  location: Location;
  name: string;
  view: InputView;
}

/** What the header lines alone say: detectors judging only these are memoized per connection. */
export interface HeaderFacts {
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  /** Alternating name/value list as received (duplicates kept), when known. */
  rawHeaders?: string[];
}

/** Request-level facts for detectors that judge the request as a whole (protocol, scanner). */
export interface RequestFacts extends HeaderFacts {
  method: string;
  /** Raw path + query as received. */
  url: string;
  argCount: number;
  argNames: string[];
  argTotalLength: number;
  maxArgLength: number;
}

export interface DetectorLimits {
  maxArgs: number;
  maxArgNameLength: number;
  maxArgLength: number;
  maxTotalArgLength: number;
  maxHeaders: number;
  maxHeaderLength: number;
  allowedMethods: string[];
  allowedContentTypes: string[];
}

export interface DetectContext {
  paranoia: ParanoiaLevel;
  limits: DetectorLimits;
}

/**
 * A detector inspects values (parameters, headers, cookies, body leaves) and/or
 * the request as a whole. It must never throw and must run in time linear in
 * its input (the fuzz tests check both).
 */
export interface Detector {
  readonly name: string;
  /** Which value locations this detector looks at; empty means request-level only. */
  readonly locations: readonly Location[];
  inspectValue?(value: InspectedValue, ctx: DetectContext): Finding[];
  /**
   * Character classes (char-classes.ts `CC` bits) at least one of which a value must
   * hold for this detector to possibly fire at this paranoia level; omitted = always run.
   * Must include `CC_OPAQUE` (escapes can hide anything).
   */
  gate?(paranoia: ParanoiaLevel): number;
  inspectRequest?(facts: RequestFacts, ctx: DetectContext): Finding[];
  /**
   * Request-level checks that read only the header lines and HTTP version: the engine reuses
   * their findings while a connection sends the same header lines (keep-alive), so put here
   * what does not depend on the method, target or arguments.
   */
  inspectHeaders?(facts: HeaderFacts, ctx: DetectContext): Finding[];
  /**
   * Whether this detector may fire on a value of a plain shape (value-shape.ts: a word,
   * number, UUID or ISO date) at this location and name; omitted = never, and the engine
   * skips it for such values. The tests check every detector against plain shapes.
   */
  mayFireOnPlain?(location: Location, name: string, raw: string): boolean;
}

export const VALUE_LOCATIONS: readonly Location[] = ['path', 'query', 'query-name', 'header', 'cookie', 'body', 'body-name', 'filename'];
