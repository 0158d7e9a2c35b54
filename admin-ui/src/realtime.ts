// Live updates over Strata's realtime WebSocket (/api/realtime), authenticated by the session cookie
// (same origin). Reconnects with a growing delay; the caller re-reads what it shows on each event.
export interface Live {
  close(): void;
}

export function subscribeCollection(collection: string, onEvent: (action: string, record: Record<string, unknown>) => void, onState: (live: boolean) => void): Live {
  let ws: WebSocket | undefined;
  let closed = false;
  let delay = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`);
    ws.onmessage = (m) => {
      const f = JSON.parse(String(m.data)) as { type: string; action?: string; record?: Record<string, unknown> };
      if (f.type === 'welcome') ws!.send(JSON.stringify({ type: 'subscribe', id: 'admin', collection }));
      else if (f.type === 'subscribed') {
        delay = 500;
        onState(true);
      } else if (f.type === 'event') onEvent(f.action ?? '', f.record ?? {});
    };
    ws.onclose = () => {
      onState(false);
      if (closed) return;
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 15_000);
    };
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      ws?.close();
    },
  };
}
