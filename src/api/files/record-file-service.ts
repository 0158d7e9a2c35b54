// Files of records for code (functions' `ctx.files`): the same checks as an upload (content sniffed,
// the field's types and maxSize, quotas, stored names) and the same rules, as the caller, through the
// records access layer: reading needs the view rule, writing and removing the update rule.
import type { Readable } from 'node:stream';
import { NotFoundError, type Principal } from '../../core/index.js';
import type { Collection, Field, RecordAccess, RecordsService, StoredRecord } from '../../data/index.js';
import type { BlobStore } from '../../storage/index.js';
import { downloadType, sniff, SNIFF_BYTES, typeAllowed } from './content-type.js';
import { FileTooLargeError, FileUploadError } from './errors.js';
import { fileKey, storedName } from './file-names.js';
import type { QuotaCheck } from './file-quota.js';
import { dropRecordFiles } from './record-files.js';
import { namesIn } from './upload-values.js';

/** A record's files as one caller may use them. */
export interface CallerFiles {
  /** A file the record holds, if the caller may view the record: its bytes, size and type. NotFoundError otherwise. */
  read(collection: string, record: string, name: string): Promise<{ body: Readable; bytes: number; type: string }>;
  /** Stores `data` into a file field (replacing a single field's file, or appended with `append`) and returns the record. */
  write(collection: string, record: string, field: string, file: { name: string; data: Uint8Array }, opts?: { append?: boolean }): Promise<StoredRecord>;
  /** Removes a file from the record that holds it; the file is deleted after the write. */
  remove(collection: string, record: string, name: string): Promise<StoredRecord>;
}

export interface RecordFileService {
  forPrincipal(p: Principal | null): CallerFiles;
}

export interface RecordFileServiceDeps {
  store: () => BlobStore;
  records: () => RecordsService;
  access: () => RecordAccess;
  quota?: QuotaCheck;
}

/**
 * @example
 * const files = recordFileService({ store: () => store, records: () => data.records, access: () => recordAccess });
 * const rec = await files.forPrincipal(p).write('docs', id, 'attachment', { name: 'report.pdf', data: bytes });
 */
export function recordFileService(deps: RecordFileServiceDeps): RecordFileService {
  const collection = (name: string): Collection => {
    const c = deps.records().collections.get(name);
    if (!c) throw new NotFoundError('No such collection.');
    return c;
  };
  const fileField = (c: Collection, name: string): Field => {
    const f = c.fields.find((x) => x.name === name && x.type === 'file');
    if (!f) throw new FileUploadError(`"${name}" is not a file field of ${c.name}.`, [{ field: name, message: 'is not a file field of this collection' }]);
    return f;
  };
  return {
    forPrincipal(p) {
      return {
        async read(cname, record, name) {
          const c = collection(cname);
          const rec = await deps.access().get(p, c.name, record);
          if (!c.fields.some((f) => f.type === 'file' && namesIn(rec.record[f.name]).includes(name))) throw new NotFoundError('No such file.');
          const key = fileKey(c.name, record, name);
          const info = await deps.store().head(key);
          if (!info) throw new NotFoundError('No such file.');
          return { body: await deps.store().get(key), bytes: info.bytes, type: downloadType(name, []).type };
        },
        async write(cname, record, field, file, opts = {}) {
          const c = collection(cname);
          const f = fileField(c, field);
          const data = Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength);
          if (data.length === 0) throw new FileUploadError(`A file for "${f.name}" is empty.`, [{ field: f.name, message: 'is empty' }]);
          if (data.length > f.file!.maxSize) throw new FileTooLargeError(f.name, f.file!.maxSize);
          const type = await sniff(data.subarray(0, SNIFF_BYTES), file.name);
          if (!typeAllowed(type.mime, f.file!.mimeTypes)) throw new FileUploadError(`The file is ${type.mime} by its content.`, [{ field: f.name, message: `is ${type.mime} by its content; allowed: ${f.file!.mimeTypes.join(', ')}` }]);
          const old = namesIn((await deps.access().get(p, c.name, record)).record[f.name]);
          const append = Boolean(opts.append) && f.multiple;
          if (append && old.length >= f.file!.maxSelect) throw new FileUploadError(`"${f.name}" holds ${f.file!.maxSelect} files already.`, [{ field: f.name, message: `must hold at most ${f.file!.maxSelect} files` }]);
          const name = storedName(file.name, type.ext);
          const key = fileKey(c.name, record, name);
          const dropped = append ? [] : old;
          await deps.store().put(key, data, { contentType: type.mime });
          try {
            await deps.quota?.(c, { bytes: 0, files: 0 }, new Set(dropped.map((n) => fileKey(c.name, record, n))), [key]);
            const out = await deps.access().update(p, c.name, record, { [f.name]: f.multiple ? (append ? [...old, name] : [name]) : name });
            await dropRecordFiles(deps.store(), c, record, dropped);
            return out;
          } catch (e) {
            await deps.store().delete(key).catch(() => undefined);
            throw e;
          }
        },
        async remove(cname, record, name) {
          const c = collection(cname);
          const rec = await deps.access().get(p, c.name, record);
          const f = c.fields.find((x) => x.type === 'file' && namesIn(rec.record[x.name]).includes(name));
          if (!f) throw new NotFoundError('No such file.');
          const left = namesIn(rec.record[f.name]).filter((n) => n !== name);
          const out = await deps.access().update(p, c.name, record, { [f.name]: f.multiple ? left : null });
          await dropRecordFiles(deps.store(), c, record, [name]);
          return out;
        },
      };
    },
  };
}
