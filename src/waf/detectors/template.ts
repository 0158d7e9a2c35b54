// Server-side template injection (Jinja2/Twig/Freemarker/Velocity/ERB/Thymeleaf),
// Java EL/SpEL/OGNL expressions and Log4Shell-style `${jndi:...}` lookups,
// including nested-lookup obfuscation (`${${lower:j}ndi:...}`, `${::-j}`).
import type { Detector, DetectContext, Finding, InspectedValue } from '../detector.js';
import { VALUE_LOCATIONS } from '../detector.js';
import { CC, CC_OPAQUE } from '../char-classes.js';
import { linearRx } from '../regex-linear.js';

const LOOKUP_NEST = linearRx(/\$\{(?:lower|upper):([^{}$]{0,40})\}|\$\{[^{}$]{0,40}?:-([^{}$]{0,40})\}/g);
const JNDI = /\$\{\s*(?:jndi|ldap|rmi|dns|iiop|corba|nds|nis)\s*:/;
const LOG4J_LOOKUP = /\$\{\s*(?:env|sys|java|ctx|main|bundle|k8s|docker|spring|web|date|base64|log4j|marker|sd|map|event|jvmrunargs)\s*:/;
const DUNDER = /__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|reduce)__/;
const EXPR_BODY = linearRx(/(?:\$\{\{|\{\{|\$\{|#\{|\*\{|@\{|~\{|<%=?|\{%|\[\[)\s*([^}%\]]{0,200})/g);
const DANGER = /\b(?:config|self|request|lipsum|cycler|joiner|namespace|url_for|get_flashed_messages|application|settings|_self|env|getclass|forname|runtime|processbuilder|exec|system|popen|eval|import|require|constructor|classloader|getruntime|invoke|newinstance|beans|freemarker|execute|objectconstructor)\b|\b\w+\s*\(|\|\s*(?:attr|filter|map|join|e|safe)\b|\[\s*['"]|\.\s*__/;
const ARITH = /^\s*['"]?[\d\s]+['"]?\s*[*+\-/%]\s*['"]?[\d\s]+['"]?\s*$/;
const EL_JAVA = /\bT\s*\(\s*java\.|java\.lang\.(?:runtime|processbuilder|system|class)|\.getclass\s*\(\s*\)|#_memberaccess|@java\.lang|#context\s*\[|new\s+java\.|ognl|\bclass\.module\.classloader|#rt\s*=|%\{\s*\(#/;
const VELOCITY = /#set\s*\(\s*\$|\$class\.inspect|#foreach\s*\(|\$\{?[a-z]+\.getclass\(\)/;

/** Resolves Log4j nested lookups (`${lower:j}`, `${::-n}`, `${env:X:-d}`) a bounded number of times. */
export function resolveLookups(s: string): string {
  let cur = s;
  for (let i = 0; i < 8 && cur.includes('${'); i++) {
    const next = cur.replace(LOOKUP_NEST, (_m, a: string | undefined, b: string | undefined) => a ?? b ?? '');
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

export function matchTemplate(lower: string, paranoia: number): Finding[] {
  if (lower.includes('${')) {
    const resolved = resolveLookups(lower.replace(/\s+/g, ''));
    if (JNDI.test(resolved) || JNDI.test(lower)) return [{ rule: 'log4shell-jndi', severity: 'critical', paranoia: 1, message: 'Log4Shell JNDI lookup' }];
    if (LOG4J_LOOKUP.test(lower) || resolved !== lower.replace(/\s+/g, '')) return [{ rule: 'log4shell-lookup', severity: 'critical', paranoia: 1, message: 'Log4j lookup expression' }];
  }
  if (DUNDER.test(lower)) return [{ rule: 'ssti-python-object', severity: 'critical', paranoia: 1, message: 'Python object traversal (__class__, __globals__...)' }];
  if (EL_JAVA.test(lower)) return [{ rule: 'el-java', severity: 'critical', paranoia: 1, message: 'Java EL/SpEL/OGNL expression' }];
  if (VELOCITY.test(lower)) return [{ rule: 'ssti-velocity', severity: 'critical', paranoia: 1, message: 'Velocity directive' }];
  let weak: Finding | undefined;
  EXPR_BODY.lastIndex = 0;
  for (let m = EXPR_BODY.exec(lower); m !== null; m = EXPR_BODY.exec(lower)) {
    const body = m[1];
    if (ARITH.test(body)) return [{ rule: 'ssti-probe', severity: 'critical', paranoia: 1, message: 'template arithmetic probe ({{7*7}})' }];
    if (DANGER.test(body)) return [{ rule: 'ssti-expression', severity: 'critical', paranoia: 1, message: 'template expression reaching objects or calls' }];
    if (paranoia >= 3 && body.trim() !== '') weak ??= { rule: 'ssti-marker', severity: 'warning', paranoia: 3, message: 'template expression marker' };
  }
  return weak ? [weak] : [];
}

const QUICK = /[{%$#@]|__|java|ognl/;

export const templateDetector = {
  name: 'template',
  gate: () => CC_OPAQUE | CC.BRACE | CC.HASH | CC.PAREN | CC.DOT | CC.UNDER | CC.ANGLE,
  locations: VALUE_LOCATIONS,
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const lower = v.view.lower;
    if (!QUICK.test(lower)) return [];
    return matchTemplate(lower, ctx.paranoia);
  },
} satisfies Detector;
