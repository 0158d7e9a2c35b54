// Handles one client message on a connection and answers with a frame (shared by the
// WebSocket transport; SSE uses subscribe and resume from its query string).
import type { Logger } from '../../core/index.js';
import { credentialFromToken, type RealtimeAuthServices } from './client-auth.js';
import type { Connection } from './connection.js';
import type { RealtimeHub } from './hub.js';
import { CloseCode, errorFrame, parseClientMessage, ProtocolError } from './protocol.js';

export interface MessageContext {
  hub: RealtimeHub;
  auth: RealtimeAuthServices;
  log?: Logger;
}

/** The frame that acknowledges a connection's authentication. */
export const authenticatedFrame = (c: Connection): string =>
  JSON.stringify({
    type: 'authenticated',
    principal: c.principal && { id: c.principal.id, collection: c.principal.collection },
    expiresAt: c.credential?.expiresAt === undefined ? null : new Date(c.credential.expiresAt).toISOString(),
  });

/** Parses and applies one text frame; every outcome is a frame sent back, never a throw. */
export async function handleMessage(ctx: MessageContext, c: Connection, text: string): Promise<void> {
  let ref: string | undefined;
  try {
    const m = parseClientMessage(text);
    switch (m.type) {
      case 'auth': {
        if (c.credential) throw new ProtocolError('already_authenticated', 'This connection is already authenticated.');
        if (c.subs.size > 0) throw new ProtocolError('invalid', 'Authenticate before subscribing.');
        try {
          c.authenticate(await credentialFromToken(ctx.auth, m.token));
        } catch {
          // One chance per connection: a wrong token ends it (no guessing over one socket).
          c.send(errorFrame('unauthorized', 'Invalid or expired credentials.'));
          c.close(CloseCode.unauthorized, 'invalid credentials');
          return;
        }
        c.send(authenticatedFrame(c));
        return;
      }
      case 'subscribe':
        ref = m.id;
        await ctx.hub.subscribe(c, m);
        c.send(JSON.stringify({ type: 'subscribed', id: m.id }));
        return;
      case 'unsubscribe':
        ref = m.id;
        ctx.hub.unsubscribe(c, m.id);
        c.send(JSON.stringify({ type: 'unsubscribed', id: m.id }));
        return;
      case 'resume': {
        const r = await ctx.hub.resume(c, m.after);
        c.send(JSON.stringify({ type: 'resumed', after: m.after, replayed: r.replayed, last: r.latest }));
        return;
      }
      case 'ping':
        c.send(JSON.stringify(m.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: m.ref }));
        return;
    }
  } catch (e) {
    if (e instanceof ProtocolError) {
      c.send(errorFrame(e.code, e.message, e.ref ?? ref));
      return;
    }
    ctx.log?.error({ err: e }, 'realtime: message failed');
    c.send(errorFrame('unavailable', 'The server could not handle this message.', ref));
  }
}
