// The plain-shape fast path (src/waf/value-shape.ts): values the engine skips detectors
// for must be values those detectors never flag, at any paranoia level and location.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlainShape } from '../src/waf/value-shape.js';
import { builtinDetectors, DETECTOR_NAMES, createWafEngine } from '../src/waf/index.js';
import { InputView } from '../src/waf/transform-view.js';
import { charClasses } from '../src/waf/char-classes.js';
import { VALUE_LOCATIONS } from '../src/waf/detector.js';
import { attackCorpus, benignCorpus, DEFAULT_LIMITS } from './waf-corpus.js';
import { holdoutAttacks, holdoutBenign } from './waf-corpus-holdout.js';
import { holdout2Attacks, holdout2Benign } from './waf-corpus-holdout2.js';

const TRICKY = [
  'union,select', 'select,from,where', '1,sleep', 'SLEEP,5', 'or_1', 'and_1_1', 'WAITFOR,DELAY', 'exec,xp_cmdshell', 'xp_cmdshell', 'pg_sleep', 'benchmark',
  'information_schema', 'load_file', 'sys_eval', 'utl_http', 'dbms_pipe', 'char,39', 'concat,0x7e', '1,2,3', 'null,null,null', 'version', 'user', '-1', '+1', '-1,1',
  '1e5', '1.5e10', '-0.5', '0', '00000', '0x7f000001', '2130706433', '017700000001', 'localhost', 'metadata', 'whoami', 'id', 'ls', 'cmd', 'powershell', 'nc', 'bash',
  'boot', 'passwd', 'etc_passwd', 'id_rsa', 'win_ini', 'htaccess', 'alert', 'script', 'onerror', 'javascript', 'svg', 'jndi', 'ldap', 'ognl', 'lipsum', 'config',
  'rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA', 'aced0005737200', 'ysoserial', 'prototype', 'constructor', 'process', 'child_process', 'java_lang_runtime',
  '2026-11-20T10:00:00.000Z', '2026-11-20', '2026-11-20 10:00', '2026-11-20t10:00:00+01:00', '8f14e45f-ceea-467f-a9e7-1c2b3d4e5f60', 'a_b_c_d', '-created,title', 'id,title,created',
];

test('plain shapes: numbers, UUIDs, ISO dates, identifier lists; nothing with punctuation, escapes or non-ASCII', () => {
  for (const v of TRICKY) assert.ok(isPlainShape(v), v);
  for (const v of ['', ' ', 'a b', "O'Brien", '1;2', '__proto__', 'a__b', '_a', 'a_', 'a,,b', 'a,', ',a', '1.2.3', 'boot.ini', '../x', '%27', 'ｓｅｌｅｃｔ', 'é', 'a\u0000', '1--', '--1', '1-1', 'x'.repeat(257), '2026-11-20T10:00:00.000Z<']) {
    assert.ok(!isPlainShape(v), JSON.stringify(v));
  }
});

test('detectors without mayFireOnPlain never fire on plain shapes past their gates, at PL4, anywhere', () => {
  const corpusPlain = [...attackCorpus(), ...benignCorpus(), ...holdoutAttacks(), ...holdoutBenign(), ...holdout2Attacks(), ...holdout2Benign()].map((s) => s.value).filter(isPlainShape);
  const values = [...TRICKY, ...corpusPlain];
  const ctx = { paranoia: 4 as const, limits: DEFAULT_LIMITS };
  let checked = 0;
  for (const d of builtinDetectors(DETECTOR_NAMES)) {
    if (!d.inspectValue) continue;
    for (const location of VALUE_LOCATIONS) {
      if (!d.locations.includes(location)) continue;
      for (const name of ['q', 'id', 'url', 'redirect_uri', 'user-agent', 'file']) {
        for (const v of values) {
          if (d.mayFireOnPlain?.(location, name, v)) continue;
          // as the engine runs them without the fast path: behind their character-class gates
          if (d.gate && (charClasses(v) & d.gate(4)) === 0) continue;
          const found = d.inspectValue({ location, name, view: new InputView(v, 3) }, ctx);
          assert.deepEqual(found, [], `${d.name} fired on plain ${JSON.stringify(v)} at ${location}:${name}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 3000, String(checked)); // past the gates: sqli, template, traversal, xss, code see these
});

test('the fast path keeps the detectors that may fire on plain shapes: bare hosts in URL parameters, Java streams, prototype names', () => {
  const engine = createWafEngine({ mode: 'block', engine: 'legacy', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, cacheSize: 100 });
  const head = (url: string) => engine.inspectHead({ method: 'GET', url, httpVersion: '1.1', headers: { host: 'a', accept: '*/*', 'user-agent': 'Mozilla/5.0' } }).map((d) => d.detector);
  assert.deepEqual(head('/x?redirect_url=2130706433'), ['ssrf']);
  assert.deepEqual(head('/x?url=localhost'), ['ssrf']);
  assert.deepEqual(head('/x?q=2130706433&id=8f14e45f-ceea-467f-a9e7-1c2b3d4e5f60&sort=-created,title&at=2026-11-20T10:00:00Z'), []);
  assert.deepEqual(head('/x?data=rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA'), ['code']);
  assert.deepEqual(head('/x?prototype=1'), ['code']);
  const body = engine.inspectBody({ items: ['http://169.254.169.254/latest/meta-data/'], n: '2130706433' }, 'application/json', { method: 'POST', path: '/x' });
  assert.deepEqual(body.map((d) => `${d.detector}@${d.name}`), ['ssrf@items.0']);
});
