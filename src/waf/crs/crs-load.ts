// Loads the vendored OWASP Core Rule Set (vendor/owasp-crs, CRS 3.3.4 from Debian's
// modsecurity-crs package): the request rule files, their data files, and a setup that
// plays crs-setup.conf's part with values from Strata's config.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseSecLang } from './seclang-parse.js';
import { compileRules, type Compiled, type Skipped } from './rule-compile.js';
import { ruleSet, type RuleSet } from './rule-run.js';

export const CRS_VERSION = '3.3.4';
export const CRS_DIR = fileURLToPath(new URL('../../../vendor/owasp-crs/', import.meta.url));

export interface CrsSetup {
  paranoia: number;
  /** Inbound anomaly score threshold (tx.inbound_anomaly_score_threshold). */
  threshold: number;
  allowedMethods: readonly string[];
  /** Media types accepted (`*+json` / `*+xml` wildcards become common concrete types). */
  allowedContentTypes: readonly string[];
  maxArgs?: number;
  maxArgNameLength?: number;
  maxArgLength?: number;
  maxTotalArgLength?: number;
}

const SUFFIXED = ['application/grpc-web+json', 'application/grpc+json', 'application/connect+json', 'application/grpc-web-text+json', 'application/merge-patch+json', 'application/json-patch+json', 'application/problem+json', 'application/ld+json', 'application/vnd.api+json',
  'application/cloudevents+json', 'application/soap+xml', 'application/atom+xml', 'application/rss+xml', 'application/xhtml+xml'];

/** The SecAction crs-setup.conf would hold, as SecLang text. */
export function setupRules(s: CrsSetup): string {
  const types = new Set<string>();
  for (const t of s.allowedContentTypes) {
    if (t.startsWith('*+')) { for (const x of SUFFIXED) if (x.endsWith(t.slice(1))) types.add(x); } else types.add(t.toLowerCase());
  }
  const vars = [
    'tx.crs_setup_version=334',
    `tx.paranoia_level=${s.paranoia}`,
    `tx.executing_paranoia_level=${s.paranoia}`,
    `tx.inbound_anomaly_score_threshold=${s.threshold}`,
    `tx.allowed_methods=${s.allowedMethods.join(' ')}`,
    `tx.allowed_request_content_type=${[...types].map((t) => `|${t}|`).join(' ')}`,
    'tx.allowed_http_versions=HTTP/1.0 HTTP/1.1 HTTP/2 HTTP/2.0',
  ];
  if (s.maxArgs !== undefined) vars.push(`tx.max_num_args=${s.maxArgs}`);
  if (s.maxArgNameLength !== undefined) vars.push(`tx.arg_name_length=${s.maxArgNameLength}`);
  if (s.maxArgLength !== undefined) vars.push(`tx.arg_length=${s.maxArgLength}`);
  if (s.maxTotalArgLength !== undefined) vars.push(`tx.total_arg_length=${s.maxTotalArgLength}`);
  return `SecAction "id:900990,phase:1,nolog,pass,t:none,${vars.map((v) => `setvar:'${v}'`).join(',')}"\n`;
}

/** The request rule files in load order (REQUEST-9xx, the order CRS includes them). */
export function crsRuleFiles(dir = CRS_DIR): string[] {
  return readdirSync(join(dir, 'rules')).filter((f) => /^REQUEST-9\d\d-.*\.conf$/.test(f)).sort();
}

/** Rules ModSecurity needs and Strata does not model: sampling, IP/global collections, the reputation block. */
const UNMODELED = new Set([901001, 901318, 901321, 901340, 901350, 901400, 901410, 901420, 901430, 901440, 901450, 901500, 949100]);

export interface LoadedCrs { set: RuleSet; skipped: Skipped[]; rules: number }

/** Compiles the setup and the CRS files for one paranoia level; `keepFile` chooses which rule files to load. */
export function loadCrs(setup: CrsSetup, keepFile: (file: string) => boolean = () => true, dir = CRS_DIR): LoadedCrs {
  const skipped: Skipped[] = [];
  const ctx = { readData: (f: string) => readFileSync(join(dir, 'rules', f), 'latin1') };
  const init: Compiled[] = compileRules(parseSecLang(setupRules(setup)), 'crs-setup', ctx, skipped);
  const items: Compiled[] = [];
  for (const f of crsRuleFiles(dir)) {
    if (!keepFile(f)) continue;
    const isInit = f.startsWith('REQUEST-901-');
    for (const c of compileRules(parseSecLang(readFileSync(join(dir, 'rules', f), 'latin1')), f, ctx, skipped)) {
      if (c.kind === 'rule' && UNMODELED.has(c.id)) continue;
      (isInit ? init : items).push(c);
    }
  }
  const set = ruleSet(init, items, setup.paranoia);
  return { set, skipped, rules: set.rules };
}
