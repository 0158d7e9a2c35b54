// The corpus for bench/waf-anchor.ts: HTTP requests labelled with family, category, attack
// and heldOut. Read from JSON / JSONL files (requests, or test/waf-corpus.ts samples) and
// discovered in test/: every exported `*attack*` / `*benign*` list of the waf-corpus*.ts
// modules (held out when the module or list says `holdout`), so bigger corpora drop in.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Packr } from 'msgpackr';
import type { Sample } from '../test/waf-corpus.js';

/** One request of the corpus, sent byte for byte to both servers. */
export interface AnchorRequest {
  id: string;
  /** Attack family (sqli, xss, ...) or `benign`. */
  family: string;
  /** Finer grouping: the evasion variant for attacks, the kind of traffic for benign requests. */
  category: string;
  /** Where the payload sits: query, path, header, json, form, multipart, xml, head... */
  location: string;
  attack: boolean;
  /** Written after tuning and never tuned against: reported apart. */
  heldOut: boolean;
  method: string;
  /** Path and query, as sent on the request line. */
  path: string;
  /** Header lines in order (duplicates allowed); Host, Content-Length and Connection are added when missing. */
  headers: Array<[string, string]>;
  /** Body bytes (JSON files give `body` as text, or `bodyBase64`). */
  body?: Buffer;
}

const BASE: Array<[string, string]> = [
  ['Host', 'app.example.com'],
  ['User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
  ['Accept', 'application/json'],
  ['Accept-Language', 'en-US,en;q=0.9'],
];
const packr = new Packr({ useRecords: false, variableMapSize: true });
const enc = (v: string) => (/%[0-9a-f]{2}/i.test(v) ? v : encodeURIComponent(v));
/** A request-line-safe path: control characters, spaces, non-ASCII and `#` escaped, everything else as the attacker wrote it. */
const rawPath = (v: string) => v.replace(/[\x00-\x20\x7f-\uffff#]/g, (c) => encodeURIComponent(c));
/** A header value that cannot break the framing. */
const headerValue = (v: string) => v.replace(/[\r\n]/g, ' ');

/** The request a test-corpus sample stands for (as test/waf-corpus.ts scoreSample builds it, on a catch-all path). */
export function sampleRequest(s: Sample & { heldOut?: boolean; category?: string }, id: string, attack: boolean, heldOut: boolean): AnchorRequest {
  const headers: Array<[string, string]> = BASE.map(([k, v]) => [k, v]);
  let method = 'GET';
  // samples of Strata's own grammars name the records route they belong to
  let path = s.path ?? '/items';
  let body: Buffer | undefined;
  let ct: string | undefined;
  const name = s.name ?? 'value';
  switch (s.where) {
    case 'query': path += `?${enc(name)}=${enc(s.value)}`; break;
    case 'path': path = `/files/${rawPath(s.value)}`; break;
    case 'header': {
      const i = headers.findIndex(([k]) => k.toLowerCase() === name.toLowerCase());
      if (i === -1) headers.push([name, headerValue(s.value)]);
      else headers[i] = [headers[i][0], headerValue(s.value)];
      break;
    }
    case 'json': method = 'POST'; ct = 'application/json'; body = Buffer.from(JSON.stringify(s.path !== undefined ? { [name]: s.value } : { post: { title: 'Hello', [name]: s.value, tags: ['a', 'b'] } })); break;
    case 'msgpack': method = 'POST'; ct = 'application/msgpack'; body = packr.pack({ post: { title: 'Hello', [name]: s.value, tags: ['a', 'b'] } }); break;
    case 'form': method = 'POST'; ct = 'application/x-www-form-urlencoded'; body = Buffer.from(`${enc(name)}=${enc(s.value)}&submit=Send`); break;
    case 'filename':
      method = 'POST';
      ct = 'multipart/form-data; boundary=XyZ';
      body = Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="${name}"; filename="${headerValue(s.value)}"\r\nContent-Type: application/octet-stream\r\n\r\nbinary\r\n--XyZ--\r\n`);
      break;
    case 'xml': method = 'POST'; ct = 'application/xml'; body = Buffer.from(s.value); break;
    case 'protobuf': method = 'POST'; ct = 'application/x-protobuf'; body = Buffer.from(s.value); break;
    case 'head': {
      method = s.head?.method ?? 'GET';
      headers.length = 0;
      const raw = s.head?.rawHeaders;
      if (raw) for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i], headerValue(raw[i + 1])]);
      else for (const [k, v] of Object.entries(s.head?.headers ?? {})) if (v !== undefined) headers.push([k, headerValue(String(v))]);
      break;
    }
  }
  if (ct) headers.push(['Content-Type', ct]);
  const generic = /^holdout/i.test(s.variant);
  return {
    id, family: String(s.family), category: s.category ?? (generic ? s.where : s.variant), location: s.where === 'filename' ? 'multipart' : s.where,
    attack, heldOut: s.heldOut ?? heldOut, method, path, headers, body,
  };
}

interface FileEntry extends Partial<Omit<AnchorRequest, 'body' | 'headers'>> {
  headers?: Array<[string, string]> | Record<string, string>;
  body?: string;
  bodyBase64?: string;
  where?: Sample['where'];
  value?: string;
  variant?: string;
}

/** Requests (or samples) from a `.json` array or a `.jsonl` file. */
export function loadCorpusFile(file: string): AnchorRequest[] {
  const text = readFileSync(file, 'utf8');
  const entries: FileEntry[] = file.endsWith('.jsonl') ? text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as FileEntry) : (JSON.parse(text) as FileEntry[]);
  return entries.map((e, i) => {
    const id = e.id ?? `${basename(file)}#${i}`;
    const attack = e.attack ?? e.family !== 'benign';
    if (e.where !== undefined && e.value !== undefined) {
      return sampleRequest({ family: (e.family ?? 'benign') as Sample['family'], variant: e.variant ?? e.category ?? 'file', where: e.where, name: (e as { name?: string }).name, value: e.value, category: e.category }, id, attack, e.heldOut ?? false);
    }
    if (!e.method || !e.path) throw new Error(`${file}: entry ${i} has neither method+path nor where+value`);
    const headers = Array.isArray(e.headers) ? e.headers : Object.entries(e.headers ?? {});
    const body = e.bodyBase64 !== undefined ? Buffer.from(e.bodyBase64, 'base64') : e.body !== undefined ? Buffer.from(e.body) : undefined;
    return { id, family: e.family ?? 'benign', category: e.category ?? 'file', location: e.location ?? 'request', attack, heldOut: e.heldOut ?? false, method: e.method, path: e.path, headers, body };
  });
}

/** Every `*attack*` / `*benign*` list exported by test/waf-corpus*.ts, and test/fixtures/waf-corpus*.json(l). */
export async function discoverCorpus(root: string): Promise<AnchorRequest[]> {
  const out: AnchorRequest[] = [];
  const testDir = join(root, 'test');
  for (const f of readdirSync(testDir).filter((n) => /^waf-corpus.*\.ts$/.test(n) && !n.endsWith('.test.ts') && !n.endsWith('-report.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(testDir, f)).href)) as Record<string, unknown>;
    // a module may say whether it is held out (`export const HELD_OUT = false` once it was tuned against); else its name does
    const declared = typeof mod.HELD_OUT === 'boolean' ? mod.HELD_OUT : undefined;
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn !== 'function' || fn.length > 0 || !/attack|benign/i.test(name)) continue;
      const list = (fn as () => unknown)();
      if (!Array.isArray(list) || list.length === 0 || typeof (list[0] as Sample).where !== 'string') continue;
      const attack = /attack/i.test(name);
      const heldOut = declared ?? /hold-?out|held-?out/i.test(f + name);
      list.forEach((s: Sample, i) => out.push(sampleRequest(s, `${f}:${name}#${i}`, attack, heldOut)));
    }
  }
  const fixtures = join(testDir, 'fixtures');
  if (existsSync(fixtures)) for (const f of readdirSync(fixtures).filter((n) => /^waf-corpus.*\.jsonl?$/.test(n)).sort()) out.push(...loadCorpusFile(join(fixtures, f)));
  return out;
}
