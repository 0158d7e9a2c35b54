// Code injection into PHP, Java and Node.js back ends: PHP open tags, superglobal
// abuse and serialized objects, Java deserialization gadgets, Node child_process
// and prototype pollution (`__proto__`, `constructor[prototype]`) in names and values.
import type { Location, Detector, DetectContext, Finding, InspectedValue } from '../detector.js';
import { VALUE_LOCATIONS } from '../detector.js';
import { linearRx } from '../regex-linear.js';

const PHP_TAG = /<\?(?:php\b|=)/;
const PHP_SUPERGLOBAL = /\$_(?:get|post|request|cookie|server|files|env|session)\s*\[|\$globals\s*\[/;
const PHP_CALL = /\b(?:system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func(?:_array)?|preg_replace|base64_decode|gzinflate|str_rot13|file_put_contents|file_get_contents|fopen|include|require|include_once|require_once|phpinfo|move_uploaded_file|unserialize)\s*\(/;
const PHP_SERIALIZED = /(?:^|[;{])(?:o|c):\d+:"[\w\\]+":\d+:\{/;
const JAVA_SERIAL = linearRx(/^(?:ac ed 00 05|aced0005|ro0ab)|\b(?:java\.lang\.runtime|org\.apache\.commons\.collections|com\.sun\.org\.apache\.xalan|ysoserial|javax\.management|java\.rmi\.server)\b|^rO0AB/i);
const NODE = /require\s*\(\s*['"`](?:child_process|fs|net|vm|os)['"`]\s*\)|process\s*\.\s*(?:mainmodule|binding|dlopen|kill)|child_process|\.constructor\s*\(\s*['"`]return|global\.process|this\.constructor\.constructor/;
// include/require of a remote or wrapper URL: remote file inclusion through PHP code (`include(http://evil/s.txt)`)
const PHP_REMOTE_INCLUDE = /\b(?:include|require)(?:_once)?\s*\(?\s*['"]?\s*(?:https?|ftps?|php|data|expect|zip|phar|file):\/\//;
// Spring4Shell (CVE-2022-22965): data binding reaching the class loader
const JAVA_CLASSLOADER = /\bclass\s*\.\s*(?:module\s*\.\s*)?classloader\b/;
const PROTO = /(?:^|[.[\]"'])(?:__proto__|prototype)(?:$|[.[\]"'])|constructor\s*[.[]\s*['"]?prototype/;

export function matchCode(lower: string, raw: string, isName: boolean, paranoia: number): Finding[] {
  if (PHP_TAG.test(lower)) return [{ rule: 'php-open-tag', severity: 'critical', paranoia: 1, message: 'PHP open tag' }];
  if (PHP_SERIALIZED.test(lower)) return [{ rule: 'php-object-injection', severity: 'critical', paranoia: 1, message: 'serialized PHP object' }];
  if (PHP_SUPERGLOBAL.test(lower)) return [{ rule: 'php-superglobal', severity: 'critical', paranoia: 1, message: 'PHP superglobal access' }];
  if (PHP_REMOTE_INCLUDE.test(lower)) return [{ rule: 'php-remote-include', severity: 'critical', paranoia: 1, message: 'PHP include of a remote URL' }];
  if (JAVA_CLASSLOADER.test(lower)) return [{ rule: 'java-class-loader', severity: 'critical', paranoia: 1, message: 'class loader reached through data binding (Spring4Shell)' }];
  if (JAVA_SERIAL.test(raw)) return [{ rule: 'java-deserialization', severity: 'critical', paranoia: 1, message: 'Java serialized object or gadget class' }];
  if (NODE.test(lower)) return [{ rule: 'node-injection', severity: 'critical', paranoia: 1, message: 'Node.js code injection' }];
  if (isName && PROTO.test(lower)) return [{ rule: 'prototype-pollution', severity: 'critical', paranoia: 1, message: 'prototype pollution key' }];
  if (!isName && paranoia >= 2 && /__proto__|constructor\s*\[\s*['"]?prototype/.test(lower)) return [{ rule: 'prototype-pollution', severity: 'error', paranoia: 2, message: 'prototype pollution text' }];
  if (paranoia >= 2 && PHP_CALL.test(lower)) return [{ rule: 'php-function', severity: 'error', paranoia: 2, message: 'dangerous PHP function call' }];
  return [];
}

// what QUICK looks for in a value without punctuation
const PLAIN_QUICK = linearRx(/aced|ro0ab|java|ysoserial|require|process|constructor|proto|classloader/i);
// Substrings every value rule needs (each regex above holds one of them literally), so a
// User-Agent's `(` or a URL's `:` no longer sends every value through all of them.
const QUICK = /<\?|:\d+:"|\$_|\$globals|ac ?ed ?00 ?05|aced|ro0ab|java|ysoserial|org\.apache|com\.sun|require|process|constructor|include|classloader/;
// PL2 adds `__proto__` text and PHP function calls `name(`
const QUICK2 = /__proto__|\(/;

export const codeDetector = {
  name: 'code',
  locations: VALUE_LOCATIONS,
  // parameter names (`prototype`), base64/hex Java serialization streams and gadget words are alphanumeric
  mayFireOnPlain: (location: Location, _name: string, raw: string) => location === 'query-name' || location === 'body-name' || PLAIN_QUICK.test(raw),
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const isName = v.location === 'query-name' || v.location === 'body-name';
    const lower = v.view.lower;
    if (!isName && !QUICK.test(lower) && !(ctx.paranoia >= 2 && QUICK2.test(lower))) return [];
    return matchCode(lower, v.view.decoded, isName, ctx.paranoia);
  },
} satisfies Detector;
