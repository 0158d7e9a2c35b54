// Rich text that cannot run script: HTML made only of allow-listed formatting tags and inert
// attributes, URLs that are http(s), mailto, relative or raster data: images — what an HTML
// sanitizer (DOMPurify's defaults, OWASP Java HTML Sanitizer) would keep unchanged — and in
// which Strata's own HTML tokenizer (the legacy xss detector) finds nothing. The XSS rules of
// the CRS flag such markup (`<img src=... alt=...>`, 941160); on these values they do not count.
import { xssDetector } from '../detectors/xss.js';
import { InputView } from '../transform-view.js';
import { linearRx } from '../regex-linear.js';

const TAGS = new Set(('a abbr b bdi bdo blockquote br caption cite code col colgroup dd del dfn div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q '
  + 's samp small span strong sub sup table tbody td tfoot th thead tr u ul var section article header footer aside main time picture '
  + 'svg g path circle rect line polyline polygon ellipse defs title desc').split(' '));
const ATTRS = new Set(('href src alt title class id width height colspan rowspan align lang dir rel target start reversed cite datetime role '
  + 'xmlns viewbox d fill stroke stroke-width stroke-linecap stroke-linejoin x y x1 y1 x2 y2 cx cy r rx ry points transform opacity fill-rule clip-rule version').split(' '));
const URL_ATTRS = new Set(['href', 'src', 'cite', 'xmlns']);
const SAFE_URL = linearRx(/^(?:https?:\/\/[^\s]*|mailto:[^\s]*|data:image\/(?:png|gif|jpe?g|webp);base64,[A-Za-z0-9+/=]*|[^:]*)$/i);
const NAME = /^[a-z][a-z0-9]*$/;
const ATTR_NAME = /^(?:aria-[a-z-]+|data-[a-z0-9-]+|[a-z][a-z0-9:-]*)$/;
// what an attribute value must not hold: quotes, markup, backticks, escapes and character references (they can spell `javascript:`)
const BAD_VALUE = linearRx(/[<>"'`\\]|&#|&[a-z]+;?:/i);
const TAG = /<(\/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[^\s=>/"'<`]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"'`=<]+))?)*)\s*(\/?)>/y;
const ATTR = /\s+([^\s=>/"'<`]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"'`=<]+)))?/g;

/** Whether the text is HTML (at least one tag) that only allow-listed tags and inert attributes make up, and Strata's HTML tokenizer finds nothing in. */
export function isSafeHtml(text: string): boolean {
  if (text.length > 65_536) return false;
  let tags = 0;
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const next = text.charCodeAt(i + 1);
    // `a < b`, `<3`: text (a tag starts with a letter or `/`)
    const letter = (next | 32) >= 97 && (next | 32) <= 122;
    if (!letter && next !== 47) continue;
    TAG.lastIndex = i;
    const m = TAG.exec(text);
    if (m === null) return false;
    const name = m[2].toLowerCase();
    if (!NAME.test(name) || !TAGS.has(name)) return false;
    if (m[1] === '/' && m[3] !== '') return false;
    ATTR.lastIndex = 0;
    for (let a = ATTR.exec(m[3]); a !== null; a = ATTR.exec(m[3])) {
      const attr = a[1].toLowerCase();
      if (!ATTR_NAME.test(attr) || (!ATTRS.has(attr) && !attr.startsWith('aria-') && !attr.startsWith('data-'))) return false;
      const value = a[2] ?? a[3] ?? a[4] ?? '';
      if (BAD_VALUE.test(value)) return false;
      if (URL_ATTRS.has(attr) && !SAFE_URL.test(value.trim())) return false;
    }
    tags++;
    i = TAG.lastIndex - 1;
  }
  if (tags === 0) return false;
  const view = new InputView(text, 3);
  const ctx = { paranoia: 1 as const, limits: { maxArgs: 0, maxArgNameLength: 0, maxArgLength: 0, maxTotalArgLength: 0, maxHeaders: 0, maxHeaderLength: 0, allowedMethods: [], allowedContentTypes: [] } };
  return xssDetector.inspectValue({ location: 'body', name: 'html', view }, ctx).length === 0;
}
