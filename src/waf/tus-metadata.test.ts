import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tusMetadataText } from './tus-metadata.js';
import { multipartParts } from './body-parts.js';
import type { RawPart } from './request-parts.js';

const b64 = (v: string) => Buffer.from(v).toString('base64');
const parts = (header: string) => {
  const m = tusMetadataText(header);
  const out: RawPart[] = [];
  if (m) multipartParts(m.body, m.contentType, out, { maxDepth: 10, maxParts: 100 });
  return out.map((p) => [p.location, p.name, p.value]);
};

test('Upload-Metadata decodes to file names (filename, name) and text parts named by their key', () => {
  assert.deepEqual(parts(`collection ${b64('docs')},filename ${b64("O'Brien CV.pdf")},name ${b64('a.pdf')},data ${b64('{"title":"x"}')},empty,novalue `), [
    ['body', 'collection', 'docs'],
    ['filename', 'filename', "O'Brien CV.pdf"],
    ['filename', 'name', 'a.pdf'],
    ['body', 'data', '{"title":"x"}'],
  ]);
  assert.equal(tusMetadataText(undefined), undefined);
  assert.equal(tusMetadataText('a,b'), undefined);
});

test('a decoded value cannot end the multipart text early or hide the pairs after it (the boundary is random)', () => {
  const sneaky = `x"\r\n--strata-tus--\r\n\r\n--${'a'.repeat(10)}--\r\n`;
  const got = parts(`note ${b64(sneaky)},filename ${b64('<script>alert(1)</script>')}`);
  assert.deepEqual(got.at(-1), ['filename', 'filename', '<script>alert(1)</script>']);
  assert.notEqual(tusMetadataText('a YQ==')!.contentType, tusMetadataText('a YQ==')!.contentType);
});
