// RFC 9110 §15.2 interim answers as a probe: tells a client that half-closed its side of an HTTP/1.1
// connection (RFC 9112 §9.6) from one that is gone, while its answer has not started.
import type http from 'node:http';
import type { Socket } from 'node:net';

const PROBE = 'HTTP/1.1 103 Early Hints\r\n\r\n';
const PROBE_INTERVAL = 1000;

type Writing = Socket & { _httpMessage?: unknown };

/**
 * A FIN from the client means "I have sent everything" (half-close) or "I am gone" (closed): TCP does not
 * tell which until the server writes. While the answer is not started, an HTTP/1.1 client that sent FIN is
 * sent an interim `103 Early Hints` every second (RFC 9110 §15.2: clients read and ignore 1xx): a
 * half-closed client ignores it and gets its answer; a closed one answers with RST, the next write fails,
 * and the request is aborted (its handler's signal fires), as when a connection drops.
 *
 * Called when the FIN is seen (the connection's one 'end' listener, or at once for a request that came
 * with it), for the answer the socket is writing now: nothing is added per request on the common path.
 */
export function probeHalfClosed(sock: Socket, res: http.ServerResponse | undefined): void {
  if (!res || res.req?.httpVersion !== '1.1') return; // no 1xx to HTTP/1.0 clients
  let timer: NodeJS.Timeout | undefined;
  const unanswered = () => !res.headersSent && !res.writableEnded && !sock.destroyed && (sock as Writing)._httpMessage === res;
  const probe = () => {
    // Only for the response the socket is writing now (never between the parts of another), not yet begun.
    if (unanswered()) sock.write(PROBE);
    else clearInterval(timer);
  };
  probe();
  if (!unanswered()) return;
  timer = setInterval(probe, PROBE_INTERVAL);
  timer.unref();
  res.once('close', () => clearInterval(timer));
}

/** The answer an HTTP/1.1 connection is writing now (Node keeps it on the socket), if any. */
export function currentAnswer(sock: Socket): http.ServerResponse | undefined {
  const m = (sock as Writing)._httpMessage;
  return m && typeof m === 'object' && 'req' in m ? (m as http.ServerResponse) : undefined;
}
