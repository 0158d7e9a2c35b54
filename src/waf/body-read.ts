// Reads the first bytes of a request body the WAF must inspect before anyone else reads
// it (a proxied or static route), and gives back a stream that replays exactly the bytes
// the client sent: the buffered prefix, then whatever is still unread.
import { PassThrough, type Readable } from 'node:stream';

export interface BodyPrefix {
  /** The bytes read: the whole body when `complete`, else at least `limit` bytes of it. */
  head: Buffer;
  /** The stream ended within the limit. */
  complete: boolean;
  /** The body as the next reader should see it: `head` alone when complete, else `head` followed by the rest of the stream. */
  replay(): Buffer | Readable;
  /** Stops reading the rest (a refused request): the unread bytes are discarded. */
  discard(): void;
}

/**
 * Reads `stream` until it ends or more than `limit` bytes arrived, then pauses it.
 *
 * @example
 * const b = await readBodyPrefix(request.raw, 1 << 20);
 * inspect(b.head); forward(b.replay());
 */
export function readBodyPrefix(stream: Readable, limit: number): Promise<BodyPrefix> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (complete: boolean) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      resolve({
        head,
        complete,
        replay: () => (complete ? head : replayStream(head, stream)),
        discard: () => {
          if (complete) return;
          // keep the connection usable for a reply: drain what is left without keeping it
          stream.on('error', () => {});
          stream.resume();
        },
      });
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      size += b.length;
      if (size > limit) {
        stream.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onError = (err: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      reject(err);
    };
    // an aborted HTTP/2 stream may close without 'end' or 'error'
    const onClose = () => onError(Object.assign(new Error('request body aborted'), { code: 'ECONNRESET' }));
    if (stream.readableEnded) {
      resolve({ head: Buffer.alloc(0), complete: true, replay: () => Buffer.alloc(0), discard: () => {} });
      return;
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    stream.resume();
  });
}

/** The buffered prefix, then the rest of `rest` as it arrives (backpressure through pipe). */
function replayStream(head: Buffer, rest: Readable): Readable {
  const out = new PassThrough();
  out.write(head);
  rest.on('error', (err) => out.destroy(err));
  rest.pipe(out);
  rest.resume();
  return out;
}
