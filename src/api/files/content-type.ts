// What an uploaded file is, from its first bytes (file-type's magic numbers), never from the client's
// claim; and what Content-Type a download may safely carry.
import mime from 'mime-types';
import { extensionOf } from './file-names.js';

/** Bytes file-type needs to recognize every format it knows. */
export const SNIFF_BYTES = 4100;

/** Types a browser would run as a document (script) when served inline from the API's origin. */
const ACTIVE = new Set(['text/html', 'application/xhtml+xml', 'image/svg+xml', 'text/xml', 'application/xml', 'text/javascript', 'application/javascript', 'application/x-shockwave-flash']);
/** Text types whose name's extension is believed once the bytes are text (the bytes cannot tell CSV from plain text). */
const TEXT_FAMILY = /^(text\/|application\/(json|xml|xhtml\+xml|javascript|x-yaml|yaml|toml|x-sh|sql)$|image\/svg\+xml$)/;

function isText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The type of a file from its first bytes (and, for text only, its name's extension); the extension to store it under. */
export async function sniff(head: Buffer, clientName: string): Promise<{ mime: string; ext: string }> {
  // file-type loads on the first upload, not at start-up
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(head);
  if (found) return { mime: found.mime, ext: found.ext };
  const ext = extensionOf(clientName);
  if (!isText(head)) return { mime: 'application/octet-stream', ext: 'bin' };
  const claimed = ext ? mime.lookup(ext) : false;
  if (claimed && TEXT_FAMILY.test(claimed)) return { mime: claimed, ext };
  return { mime: 'text/plain', ext: 'txt' };
}

/** Whether `type` is in the field's list (`image/*` allows a family; an empty list allows all). */
export function typeAllowed(type: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

/**
 * Content-Type and disposition of a stored file: from its (server-made) extension; active types
 * (HTML, SVG, XML, scripts) go out as an attachment of application/octet-stream unless `inlineTypes` names them.
 */
export function downloadType(name: string, inlineTypes: readonly string[]): { type: string; inline: boolean } {
  const t = mime.lookup(name) || 'application/octet-stream';
  if (ACTIVE.has(t) && !inlineTypes.includes(t)) return { type: 'application/octet-stream', inline: false };
  const withCharset = t.startsWith('text/') ? `${t}; charset=utf-8` : t;
  return { type: withCharset, inline: true };
}
