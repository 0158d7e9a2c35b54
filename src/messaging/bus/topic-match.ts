// Topic syntax and matching (NATS subject rules): tokens of [A-Za-z0-9_-] joined by
// dots; in patterns `*` is exactly one token and a final `>` is one or more tokens.
import { ValidationError } from '../../core/index.js';

const TOKEN = /^[A-Za-z0-9_-]+$/;

export function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length > 255 || !topic.split('.').every((t) => TOKEN.test(t))) {
    throw new ValidationError('A topic is dot-separated tokens of letters, digits, `_` or `-`, e.g. `records.posts.create`.', [{ field: 'topic', message: 'invalid topic' }]);
  }
}

export function assertPattern(pattern: string): void {
  const parts = typeof pattern === 'string' && pattern.length <= 255 ? pattern.split('.') : [''];
  const ok = parts.every((t, i) => TOKEN.test(t) || t === '*' || (t === '>' && i === parts.length - 1));
  if (!ok) throw new ValidationError('A topic pattern is dot-separated tokens, `*` (one token) or a final `>` (the rest), e.g. `records.*.create`.', [{ field: 'pattern', message: 'invalid pattern' }]);
}

export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}
