// Whether every topic a client's pattern can match is also matched by an allowed pattern
// (NATS-style `*` = one token, final `>` = one or more tokens).

/**
 * @example
 * patternWithin('app.chat.*', 'app.>'); // true
 * patternWithin('>', 'app.>');          // false
 */
export function patternWithin(sub: string, allowed: string): boolean {
  const s = sub.split('.');
  const a = allowed.split('.');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '>') return s.length > i; // `>` covers one or more remaining tokens, wildcards included
    if (i >= s.length) return false;
    if (s[i] === '>') return false; // the client asks for more than a single token here
    if (a[i] !== '*' && a[i] !== s[i]) return false; // a literal allowed token needs the same literal
  }
  return s.length === a.length;
}
