// The admin UI's export formats (admin-ui/src/export-format.ts), pure: RFC 4180 quoting and the OWASP
// CSV-injection defence (a leading apostrophe on text cells that begin with = + - @ tab or CR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, toCsv, toJson } from '../admin-ui/src/export-format.js';

test('csvCell: every cell quoted, quotes doubled, commas and line breaks kept inside the quotes', () => {
  const cases: Array<[unknown, string]> = [
    ['plain', '"plain"'],
    ['say "hi", then\r\nleave', '"say ""hi"", then\r\nleave"'],
    [null, '""'],
    [undefined, '""'],
    ['', '""'],
    [3, '"3"'],
    [-5, '"-5"'],
    [true, '"true"'],
    [{ a: [1, '"'] }, '"{""a"":[1,""\\""""]}"'],
  ];
  for (const [v, want] of cases) assert.equal(csvCell(v), want, JSON.stringify(v));
});

test('csvCell: text that a spreadsheet would run as a formula starts with an apostrophe; numbers do not', () => {
  const cases: Array<[unknown, string]> = [
    ['=SUM(A1:A2)', `"'=SUM(A1:A2)"`],
    ['+1', `"'+1"`],
    ['-2+3', `"'-2+3"`],
    ['@cmd', `"'@cmd"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['a=b', '"a=b"'],
    [-5, '"-5"'],
  ];
  for (const [v, want] of cases) assert.equal(csvCell(v), want, JSON.stringify(v));
});

test('toCsv: a byte-order mark, the header row and one CRLF-ended row per record, in the given column order', () => {
  const csv = toCsv(['id', 'title', 'n'], [{ id: 'a1', title: 'x', n: 1, other: 'dropped' }, { id: 'b2', title: '=1', n: null }]);
  assert.equal(csv, '\uFEFF"id","title","n"\r\n"a1","x","1"\r\n"b2","\'=1",""\r\n');
});

test('toJson: the records as given, without expanded relations', () => {
  const out = JSON.parse(toJson([{ id: 'a', title: '=1', expand: { author: { id: 'u' } } }])) as unknown;
  assert.deepEqual(out, [{ id: 'a', title: '=1' }]);
});
