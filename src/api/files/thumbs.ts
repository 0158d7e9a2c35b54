// Thumbnails of image files on demand (`?thumb=100x100`), made with sharp (libvips) and kept in blob
// storage beside the file (`<collection>/<record>/thumbs/<size>_<name>`), so each is made once.
// Sizes as PocketBase: WxH crops to fill from the center, WxHt from the top, WxHb from the bottom,
// WxHf fits inside without cropping, Wx0 / 0xH keep the aspect ratio.
import type { Readable } from 'node:stream';
import type { BlobInfo, BlobStore } from '../../storage/index.js';

/** Raster types sharp reads and writes; never SVG (a document, not a picture). */
const RASTER = /\.(png|jpe?g|gif|webp|avif|tiff?)$/;

export function thumbKey(collection: string, record: string, size: string, name: string): string {
  return `${collection}/${record}/thumbs/${size}_${name}`;
}

/** Whether a thumbnail of `name` at `size` can be made (a declared size, a raster image). */
export function thumbable(name: string, size: string, declared: readonly string[]): boolean {
  return declared.includes(size) && RASTER.test(name);
}

async function bytesOf(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The stored thumbnail, made first when there is none. */
export async function thumbnail(store: BlobStore, key: string, thumbKeyOf: string, size: string): Promise<BlobInfo> {
  const have = await store.head(thumbKeyOf);
  if (have) return have;
  const m = /^(\d+)x(\d+)([tbf]?)$/.exec(size);
  if (!m) throw new Error(`bad thumb size ${size}`);
  const width = Number(m[1]) || undefined;
  const height = Number(m[2]) || undefined;
  const mode = m[3];
  const sharp = (await import('sharp')).default;
  const input = await bytesOf(await store.get(key));
  const out = await sharp(input, { animated: false, limitInputPixels: 100_000_000 })
    .rotate()
    .resize({
      width,
      height,
      fit: mode === 'f' ? 'inside' : width && height ? 'cover' : 'inside',
      position: mode === 't' ? 'top' : mode === 'b' ? 'bottom' : 'centre',
      withoutEnlargement: mode === 'f',
    })
    .toBuffer();
  return store.put(thumbKeyOf, out);
}
