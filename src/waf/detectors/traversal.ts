// Path traversal and local file inclusion: `../` in any encoding (double, %u,
// overlong UTF-8, backslashes), well-known sensitive files, PHP/Java stream
// wrappers and null-byte extension truncation.
import type { Detector, DetectContext, Finding, InspectedValue } from '../detector.js';
import { VALUE_LOCATIONS } from '../detector.js';
import { CC, CC_OPAQUE } from '../char-classes.js';
import { linearRx } from '../regex-linear.js';

const DOTDOT = linearRx(/(?:^|[\\/])\.{2,}(?=[\\/;]|$)/g);
const SENSITIVE = /(?:^|[\\/])(?:etc[\\/](?:passwd|shadow|group|gshadow|subuid|subgid|hosts|issue|sudoers|crontab|master\.passwd|security[\\/])|proc[\\/](?:self|\d+)[\\/](?:environ|cmdline|fd|maps|mem|root|cwd)|windows[\\/](?:win\.ini|system32[\\/])|winnt[\\/]|boot\.ini|inetpub[\\/]|(?:var[\\/]log|usr[\\/]local[\\/]apache)[\\/]|\.ssh[\\/]|id_(?:rsa|dsa|ecdsa|ed25519)\b|\.htpasswd|\.htaccess|\.git[\\/](?:config|head)|\.env(?:$|[.\s])|web-inf[\\/]|meta-inf[\\/]|web\.config|\.aws[\\/]credentials|\.bash_history|wp-config\.php)/;
// a command that prints or copies a file, then an absolute path: `cat /etc/subuid`, `tail -n 5 /etc/shadow`
const READ_CMD = /(?:^|[\s;|&`(])(?:cat|tac|more|less|head|tail|nl|grep|strings|od|xxd|base64|sort|uniq|awk|sed|vi|vim|nano|cp|type|get-content|gc)\s+(?:-\S+\s+(?:\d+\s+)?)*[\\/]/;
// PHP's data: stream wrapper carries code (`data://text/plain;base64,PD9w...`); an image data: URI (RFC 2397) is no wrapper
// Remote file inclusion: a value that is nothing but a remote URL (or `//host/...`) naming a text or
// script file, maybe ending in `?`, `#` or a null byte to cut off what the include appends
// (`http://evil.example/shell.txt`, `ftp://host/x.txt`, `//evil.example/c99.php%00`); a link to a
// page (`https://example.com/index.php`, `.html`, images) is not flagged
const RFI_URL = linearRx(/^\s*(?:(?:https?|ftps?):)?\/\/[^\s/?#]+\/[^\s?#]*\.(?:txt|inc|sh|pl|py|cgi|phtml|phps|dat|log|php\d?(?=(?:%00|\x00|[?#])))(?:%00|\x00|[?#][^\s]*)?\s*$/);
const WRAPPER = linearRx(/^\s*(?:php|file|zip|phar|glob|data(?!:image\/)|expect|input|compress\.zlib|compress\.bzip2|jar|netdoc|zlib|ogg|rar|ssh2\.\w+):\/{0,2}/);
const QUICK = /[.:\/\\]/;
const NULL_EXT = /\x00|%00/;

export function matchTraversal(decoded: string, overlong: boolean, nullByte: boolean, paranoia: number, lowered = false): Finding[] {
  const out: Finding[] = [];
  const s = lowered ? decoded : decoded.toLowerCase();
  if (overlong) out.push({ rule: 'traversal-overlong-utf8', severity: 'critical', paranoia: 1, message: 'overlong UTF-8 encoding' });
  const dots = s.indexOf('..') === -1 ? 0 : (s.match(DOTDOT)?.length ?? 0);
  const sensitive = SENSITIVE.test(s);
  if (dots > 0 && sensitive) out.push({ rule: 'traversal-sensitive-file', severity: 'critical', paranoia: 1, message: 'traversal to a sensitive file' });
  else if (dots >= 2) out.push({ rule: 'traversal-dotdot', severity: 'critical', paranoia: 1, message: 'repeated ../ traversal' });
  else if (dots === 1) out.push({ rule: 'traversal-dotdot', severity: 'warning', paranoia: 1, message: 'a ../ segment' });
  else if (sensitive && ((/^[\\/a-z]/.test(s) && !/\s/.test(s)) || READ_CMD.test(s))) out.push({ rule: 'traversal-sensitive-file', severity: 'critical', paranoia: 1, message: 'a well-known sensitive file path' });
  if (RFI_URL.test(s)) out.push({ rule: 'rfi-remote-script', severity: 'critical', paranoia: 1, message: 'a remote URL naming a script or text file (remote file inclusion)' });
  if (WRAPPER.test(s)) out.push({ rule: 'lfi-wrapper', severity: 'critical', paranoia: 1, message: 'stream wrapper (php://, file://, phar://...)' });
  if (nullByte && /\.[a-z0-9]{1,5}/.test(s)) out.push({ rule: 'lfi-null-byte', severity: 'critical', paranoia: 1, message: 'null byte in a file name' });
  return out;
}

export const traversalDetector = {
  name: 'traversal',
  gate: () => CC_OPAQUE | CC.SLASH | CC.DOT | CC.COLON,
  locations: VALUE_LOCATIONS,
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const d = v.view.decoded;
    if (!v.view.overlong && !v.view.nullByte && !QUICK.test(d)) return [];
    // the view's memoized lower-case form, shared with the other detectors
    const s = v.location === 'path' ? v.view.lower.replace(/\\/g, '/') : v.view.lower;
    return matchTraversal(s, v.view.overlong, v.view.nullByte || NULL_EXT.test(v.view.raw), ctx.paranoia, true);
  },
} satisfies Detector;
