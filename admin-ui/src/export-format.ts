// Records export as CSV (RFC 4180: CRLF rows, quoted cells, quotes doubled) and JSON. Against formula injection
// (OWASP "CSV Injection"): a text cell that begins with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, so a spreadsheet shows it as text instead of running it. Numbers and booleans stay as they are
// (a negative number is data, not a formula).

/** Characters a spreadsheet may read as the start of a formula (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell, always quoted: null and undefined are empty, objects and lists are their JSON text. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '""';
  if (typeof v === 'number' || typeof v === 'boolean') return `"${String(v)}"`;
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** A CSV document: a UTF-8 byte-order mark (spreadsheets then read UTF-8), the header row, a row per record. */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A JSON document: the records as the records API answers them, without expanded relations. */
export function toJson(rows: ReadonlyArray<Record<string, unknown>>): string {
  return `${JSON.stringify(rows.map(({ expand: _e, ...r }) => r), null, 2)}\n`;
}
