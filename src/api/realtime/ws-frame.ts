// WebSocket frames built once and written to many sockets: a server's text frame (RFC 6455 §5.2,
// FIN, opcode 1, unmasked) is the same bytes for every client, so an event is framed once per
// distinct payload instead of once per subscriber; writes in one tick are batched per socket
// (cork, uncork on the next tick: one writev for several events).
import type { Socket } from 'node:net';

/** The complete wire bytes of an unfragmented, uncompressed server text frame carrying `payload`. */
export function wsTextFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = n;
  else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(frame, head);
  return frame;
}

// Sockets corked in this tick: one nextTick uncorks them all (a fan-out to 1,000 clients schedules one callback, not 1,000).
let corked: Socket[] = [];
function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const s of list) s.uncork();
}

/** Writes `bytes`, corking the socket until the next tick so frames written meanwhile leave together. */
export function writeBatched(socket: Socket, bytes: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    if (corked.push(socket) === 1) process.nextTick(uncorkAll);
  }
  socket.write(bytes);
}
