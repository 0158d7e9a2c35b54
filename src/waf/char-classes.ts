// One linear pass that summarizes which character classes a raw value holds, so the
// engine can skip detectors that cannot fire (a value with no quote, bracket, separator
// or escape cannot carry most injections). Escapes and non-ASCII always open every gate.

export const CC = {
  SPACE: 1, QUOTE: 2, ANGLE: 4, SLASH: 8, DOT: 16, COLON: 32, SEP: 64, BRACE: 128,
  PAREN: 256, HASH: 512, PCT: 1024, OP: 2048, CTRL: 4096, NONASCII: 8192, UNDER: 16384,
} as const;

/** Bits that may hide anything once decoded: every gate includes them. */
export const CC_OPAQUE = CC.PCT | CC.NONASCII | CC.CTRL;

const TABLE = new Uint16Array(128);
(() => {
  const set = (chars: string, bit: number) => { for (const c of chars) TABLE[c.charCodeAt(0)] |= bit; };
  set(' \t', CC.SPACE); set('\'"`', CC.QUOTE); set('<>', CC.ANGLE); set('/\\', CC.SLASH); set('.', CC.DOT); set(':', CC.COLON);
  set(';|&', CC.SEP); set('${}', CC.BRACE); set('()', CC.PAREN); set('#@', CC.HASH); set('%', CC.PCT); set('=!+*^~,-[]?', CC.OP); set('_', CC.UNDER);
  for (let i = 0; i < 32; i++) if (i !== 9) TABLE[i] |= CC.CTRL;
  TABLE[127] |= CC.CTRL;
})();

export function charClasses(s: string): number {
  let m = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    m |= c < 128 ? TABLE[c] : CC.NONASCII;
  }
  return m;
}
