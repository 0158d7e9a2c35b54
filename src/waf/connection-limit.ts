// Per-peer TCP connection limits: counts open sockets by remote address on any
// node:net based server (http, https, http2) and destroys the ones over the limit.
import type { Server, Socket } from 'node:net';

export class ConnectionLimiter {
  readonly max: number;
  private readonly open = new Map<string, number>();
  private readonly onReject?: (address: string) => void;

  constructor(max: number, onReject?: (address: string) => void) {
    this.max = max;
    this.onReject = onReject;
  }

  /** Counts one more connection from `address`; false when it is over the limit (and was not counted). */
  acquire(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }

  count(address: string): number { return this.open.get(address) ?? 0; }

  /** Watches a server's raw TCP connections. Returns a function that stops watching. */
  attach(server: Server): () => void {
    const onConnection = (socket: Socket) => {
      const addr = socket.remoteAddress ?? 'unknown';
      if (!this.acquire(addr)) {
        this.onReject?.(addr);
        socket.destroy();
        return;
      }
      socket.once('close', () => this.release(addr));
    };
    server.on('connection', onConnection);
    return () => server.off('connection', onConnection);
  }
}
