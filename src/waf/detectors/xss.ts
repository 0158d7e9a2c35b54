// Cross-site scripting detector: HTML tag/attribute context via the tag tokenizer,
// URL context (javascript: and friends), attribute and JavaScript string break-outs,
// client-side template injection. Attribute values are entity-decoded as browsers do.
import type { Detector, DetectContext, Finding, InspectedValue } from '../detector.js';
import { VALUE_LOCATIONS } from '../detector.js';
import { scanTags } from '../xss-tokenizer.js';
import { htmlEntityDecode } from '../transform-decode.js';
import { CC, CC_OPAQUE } from '../char-classes.js';
import { linearRx } from '../regex-linear.js';

const SCRIPT_TAGS = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'import', 'isindex', 'xss', 'portal']);
const SUSPECT_TAGS = new Set(['style', 'form', 'svg', 'math', 'meta', 'link', 'xmp', 'noscript', 'template', 'plaintext', 'noembed', 'listing', 'animate', 'set', 'use', 'handler', 'vmlframe']);
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background', 'poster', 'codebase', 'dynsrc', 'lowsrc', 'content', 'to', 'values', 'from', 'by', 'ping', 'srcset', 'code', 'archive']);
const SCRIPT_URL = /^(?:javascript|vbscript|livescript|mocha):|^data:(?:text\/html|image\/svg|application\/(?:x-)?(?:javascript|ecmascript|xhtml))/;
const CTRL = /[\x00-\x20]+/g;
const EVENT = /^on[a-z]{3,}$/;
// attribute break-out without a tag: `" autofocus onfocus=...`
const BREAKOUT_EVENT = linearRx(/["'`][^<>"'`]{0,200}?[\s/"'`]on(?:abort|blur|change|click|contextmenu|copy|cut|dblclick|drag\w*|drop|error|focus\w*|input|invalid|key(?:down|up|press)|load|mouse\w+|paste|pointer\w+|reset|resize|scroll|search|select|submit|toggle|touch\w+|wheel|animation\w+|transition\w+|begin|end|repeat|show|start|finish|beforeunload|hashchange|message|pageshow|popstate|unload|auxclick|formdata|beforetoggle)\s*=/);
const JS_SINK = /["'`]\s*(?:[;,)}\]+\-*/|&^]|\?\?)+\s*(?:alert|prompt|confirm|eval|fetch|settimeout|setinterval|function|constructor|import|document\s*\.|window\s*[.[]|top\s*\[|self\s*\[|this\s*\[|location|atob|string\s*\.\s*fromcharcode|globalthis|parent\s*\[|frames\s*\[)/;
const JS_CALL = /["'`]\s*(?:[;,)}\]+\-*/|&^]|\?\?)+\s*[a-z_$][\w$.]*\s*(?:\(|`)/;
const JS_URL = linearRx(/^[\s\x00-\x1f]*(?:javascript|vbscript|livescript)\s*:(?:[\s\S]{0,40}?[\w$.\]]\s*[(=`]|\s*\/\/|[\s\S]*%[0-9a-f]{2})/);
const CSTI_TOKENS = /\{\{|\}|constructor|\$eval|\$on\b|\$emit|alert\s*\(|prompt\s*\(|confirm\s*\(|\$parent|\bon[a-z]+\s*=/g;

/** A `{{ ... }}` expression (AngularJS/Vue) reaching a sink: one linear token scan. */
function clientTemplate(s: string): boolean {
  let open = -1;
  CSTI_TOKENS.lastIndex = 0;
  for (let m = CSTI_TOKENS.exec(s); m !== null; m = CSTI_TOKENS.exec(s)) {
    if (m[0] === '{{') open = m.index;
    else if (m[0] === '}') open = -1;
    else if (open !== -1 && m.index - open <= 200) return true;
  }
  return false;
}
const JS_ESC = /\\(?:x([0-9a-f]{2})|u\{?([0-9a-f]{4})\}?)/g;

function find(rule: string, message: string, paranoia: 1 | 2 | 3 | 4 = 1, severity: Finding['severity'] = 'critical'): Finding {
  return { rule, message, paranoia, severity };
}

/** Tag- and attribute-level findings for one case-folded text. */
export function matchTags(text: string, paranoia: number): Finding | undefined {
  if (text.indexOf('<') === -1) return undefined;
  const { tags } = scanTags(text);
  let weak: Finding | undefined;
  for (const t of tags) {
    if (t.closing) {
      if (t.name === 'script' || t.name === 'style' || t.name === 'textarea' || t.name === 'title') return find('xss-tag', `closes a <${t.name}> block`);
      continue;
    }
    if (SCRIPT_TAGS.has(t.name)) return find('xss-tag', `script-capable <${t.name}> tag`);
    for (const a of t.attrs) {
      if (EVENT.test(a.name)) return find('xss-event-handler', `event handler ${a.name} on <${t.name}>`);
      if (URL_ATTRS.has(a.name) || a.name.endsWith(':href')) {
        const v = htmlEntityDecode(a.value).toLowerCase().replace(CTRL, '');
        if (SCRIPT_URL.test(v)) return find('xss-script-url', `script URL in ${a.name}`);
      }
      if (a.name === 'srcdoc' && /<|&lt/.test(a.value)) return find('xss-tag', 'markup in srcdoc');
      if (a.name === 'style') {
        const v = htmlEntityDecode(a.value).replace(/\\|\/\*.*?\*\//g, '');
        if (/expression\s*\(|javascript:|-moz-binding|behavior\s*:/.test(v)) return find('xss-style', 'script in a style attribute');
      }
      if (a.name === 'http-equiv' && /refresh|set-cookie/.test(a.value)) return find('xss-tag', '<meta http-equiv> injection');
    }
    if (weak === undefined && paranoia >= 2 && SUSPECT_TAGS.has(t.name)) weak = find('xss-tag', `<${t.name}> tag`, 2);
    if (weak === undefined && paranoia >= 3) weak = find('xss-html', `HTML tag <${t.name}>`, 3, 'warning');
  }
  return weak;
}

export function matchXss(lower: string, paranoia: number): Finding[] {
  const tag = matchTags(lower, paranoia);
  if (tag && tag.severity === 'critical' && tag.paranoia === 1) return [tag];
  if (JS_URL.test(lower)) return [find('xss-script-url', 'script URL')];
  if ((lower.includes('"') || lower.includes("'") || lower.includes('`'))) {
    if (BREAKOUT_EVENT.test(lower)) return [find('xss-attribute-breakout', 'attribute break-out into an event handler')];
    if (JS_SINK.test(lower)) return [find('xss-js-breakout', 'JavaScript string break-out into a sink')];
    if (paranoia >= 2 && JS_CALL.test(lower)) return [find('xss-js-breakout', 'JavaScript string break-out into a call', 2, 'error')];
  }
  if (lower.includes('{{') && clientTemplate(lower)) return [find('xss-template', 'client-side template expression')];
  return tag ? [tag] : [];
}

const QUICK = /[<"'`:{\\]/;

export const xssDetector = {
  name: 'xss',
  gate: () => CC_OPAQUE | CC.QUOTE | CC.ANGLE | CC.SLASH | CC.COLON | CC.SEP | CC.BRACE,
  locations: VALUE_LOCATIONS,
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const lower = v.view.lower;
    if (!QUICK.test(lower) && !(ctx.paranoia >= 2 && lower.includes('&'))) return [];
    const found = matchXss(lower, ctx.paranoia);
    if (found.length > 0 || ctx.paranoia < 2) return found;
    // PL2+: HTML-escaped and JS-escaped text as it would look once unescaped
    const ent = v.view.entities;
    if (ent !== lower) { const f = matchXss(ent, ctx.paranoia); if (f.length > 0) return f.map((x) => ({ ...x, paranoia: 2 as const })); }
    if (lower.includes('\\')) {
      const js = lower.replace(JS_ESC, (_m, a: string | undefined, b: string | undefined) => String.fromCharCode(parseInt((a ?? b) as string, 16))).toLowerCase();
      if (js !== lower) { const f = matchXss(js, ctx.paranoia); if (f.length > 0) return f.map((x) => ({ ...x, paranoia: 2 as const })); }
    }
    return found;
  },
} satisfies Detector;
