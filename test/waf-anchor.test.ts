// Smoke test of bench/waf-anchor.ts: ten requests replayed byte for byte against Strata and
// against Apache + mod_security2 + OWASP CRS 3.3 (Debian's packages; .ci/run installs them),
// both at paranoia 1. Blatant attacks are stopped and plain traffic passes on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorMissing, startAnchor } from '../bench/waf-anchor-apache.js';
import { startStrata, report } from '../bench/waf-anchor.js';
import { sampleRequest } from '../bench/waf-anchor-corpus.js';
import { replayAll } from '../bench/waf-anchor-replay.js';
import type { Sample } from './waf-corpus.js';

const ATTACKS: Sample[] = [
  { family: 'sqli', variant: 'plain', where: 'query', name: 'id', value: "1' UNION SELECT username, password FROM users--" },
  { family: 'xss', variant: 'plain', where: 'json', name: 'comment', value: '<script>alert(document.cookie)</script>' },
  { family: 'traversal', variant: 'plain', where: 'query', name: 'file', value: '../../../../etc/passwd' },
  { family: 'command', variant: 'plain', where: 'form', name: 'host', value: '127.0.0.1; cat /etc/passwd' },
  { family: 'sqli', variant: 'plain', where: 'xml', name: 'doc', value: "<r><q>1' UNION SELECT password FROM users--</q></r>" },
];
const BENIGN: Sample[] = [
  { family: 'benign', variant: 'query', where: 'query', name: 'q', value: 'blue running shoes' },
  { family: 'benign', variant: 'json', where: 'json', name: 'comment', value: 'Thanks, see you on Monday' },
  { family: 'benign', variant: 'form', where: 'form', name: 'message', value: 'Hello and welcome' },
  { family: 'benign', variant: 'filename', where: 'filename', name: 'file', value: 'report.pdf' },
  { family: 'benign', variant: 'query', where: 'query', name: 'page', value: '2' },
];

const missing = anchorMissing();
test('anchor smoke: ten requests against Strata and ModSecurity + CRS at PL1', { skip: missing !== undefined && process.env.CI !== 'true' ? missing : false }, async () => {
  const reqs = [...ATTACKS.map((s, i) => sampleRequest(s, `a${i}`, true, false)), ...BENIGN.map((s, i) => sampleRequest(s, `b${i}`, false, false))];
  const strata = await startStrata(1);
  let viaStrata;
  try { viaStrata = await replayAll(strata.port, reqs); } finally { await strata.stop(); }
  const anchor = await startAnchor(1);
  let viaAnchor;
  try { viaAnchor = await replayAll(anchor.port, reqs); } finally { await anchor.stop(); }
  assert.deepEqual(viaStrata, [403, 403, 403, 403, 403, 200, 200, 200, 200, 200]);
  assert.deepEqual(viaAnchor, [403, 403, 403, 403, 403, 200, 200, 200, 200, 200]);
  const r = report(reqs, [{ paranoia: 1, target: 'strata', outcomes: viaStrata }, { paranoia: 1, target: 'modsecurity', outcomes: viaAnchor }]);
  assert.deepEqual(r.tables['attacks by family (all)']['**all**']['strata PL1'], { stopped: 5, total: 5 });
  assert.deepEqual(r.tables['false positives by category (all)']['**all**']['modsecurity PL1'], { stopped: 0, total: 5 });
});
