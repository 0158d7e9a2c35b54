// The tus protocol 1.0 `Upload-Metadata` header (https://tus.io/protocols/resumable-upload#upload-metadata):
// `key base64,key base64`. Its values are the upload's file name and the record's other values, so the WAF
// decodes them and inspects them as it does a multipart body's file names and text parts.
import { randomBytes } from 'node:crypto';

/** Keys whose value is the client's name of the file (tus-js-client and Uppy send `filename`, Uppy `name` too). */
const FILE_NAME_KEYS = new Set(['filename', 'name']);

const quoted = (v: string) => v.replace(/["\r\n]/g, (c) => (c === '"' ? '%22' : ' '));

/**
 * The decoded pairs of an `Upload-Metadata` header as a multipart/form-data text and its content type:
 * file-name keys as file parts (inspected where multipart file names are), the others as text parts named
 * by their key. undefined when the header holds no value. The boundary is random, so no decoded value can
 * end the text early or hide a part. Decoding is lenient (what does not decode is left out): the route
 * refuses a malformed header anyway.
 * @example
 * const m = tusMetadataText('filename PHNjcmlwdD4=');
 * if (m) engine.inspectBody(m.body, m.contentType, scope);
 */
export function tusMetadataText(header: string | string[] | undefined, maxPairs = 256): { body: string; contentType: string } | undefined {
  if (header === undefined) return undefined;
  const boundary = `strata-tus-${randomBytes(12).toString('hex')}`;
  const out: string[] = [];
  const pairs = (Array.isArray(header) ? header.join(',') : header).split(',');
  for (const pair of pairs.slice(0, maxPairs)) {
    const [key = '', encoded = ''] = pair.trim().split(' ');
    if (key === '' || encoded === '') continue;
    const value = Buffer.from(encoded, 'base64').toString('utf8');
    if (value === '') continue;
    out.push(
      FILE_NAME_KEYS.has(key)
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(key)}"; filename="${quoted(value)}"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(key)}"\r\n\r\n${value}\r\n`,
    );
  }
  if (out.length === 0) return undefined;
  out.push(`--${boundary}--\r\n`);
  return { body: out.join(''), contentType: `multipart/form-data; boundary=${boundary}` };
}
