// A forgiving HTML tag tokenizer following the HTML Living Standard's tag-open,
// tag-name and attribute states closely enough to see what a browser would:
// `<svg/onload=...>`, unquoted values, unclosed tags. Linear in input size.

export interface HtmlAttr { name: string; value: string }
export interface HtmlTag { name: string; closing: boolean; attrs: HtmlAttr[] }
export interface TagScan { tags: HtmlTag[]; steps: number }

const isAlpha = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/** Scans `s` (already case-folded) for start and end tags; stops after `maxTags`. */
export function scanTags(s: string, maxTags = 64): TagScan {
  const tags: HtmlTag[] = [];
  let steps = 0;
  const n = s.length;
  let i = 0;
  while (i < n && tags.length < maxTags) {
    const lt = s.indexOf('<', i);
    if (lt === -1) break;
    steps++;
    i = lt + 1;
    let closing = false;
    if (s.charCodeAt(i) === 47 /* / */) { closing = true; i++; }
    if (!isAlpha(s.charCodeAt(i))) continue;
    const start = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (isWs(c) || c === 47 || c === 62 || c === 60) break;
      i++; steps++;
    }
    const tag: HtmlTag = { name: s.slice(start, i), closing, attrs: [] };
    tags.push(tag);
    // attributes until '>' (or end of input: an unclosed tag is closed by the page later)
    while (i < n) {
      steps++;
      const c = s.charCodeAt(i);
      if (c === 62 /* > */) { i++; break; }
      if (c === 60 /* < */) break;
      if (isWs(c) || c === 47) { i++; continue; }
      const ns = i;
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (isWs(d) || d === 47 || d === 62 || d === 61 /* = */) break;
        i++; steps++;
      }
      const name = s.slice(ns, i);
      while (i < n && isWs(s.charCodeAt(i))) { i++; steps++; }
      let value = '';
      if (s.charCodeAt(i) === 61) {
        i++;
        while (i < n && isWs(s.charCodeAt(i))) { i++; steps++; }
        const q = s.charCodeAt(i);
        if (q === 34 || q === 39 || q === 96) {
          const e = s.indexOf(String.fromCharCode(q), i + 1);
          const end = e === -1 ? n : e;
          steps += end - i;
          value = s.slice(i + 1, end);
          i = e === -1 ? n : e + 1;
        } else {
          const vs = i;
          while (i < n) {
            const d = s.charCodeAt(i);
            if (isWs(d) || d === 62) break;
            i++; steps++;
          }
          value = s.slice(vs, i);
        }
      }
      if (tag.attrs.length < 64) tag.attrs.push({ name, value });
    }
  }
  return { tags, steps };
}
