// The shell: who is signed in, the navigation and the page for the current hash route.
import { useEffect, useState } from 'preact/hooks';
import { api, AUTH, onSessionEnded } from './api.js';
import { CollectionEditor } from './collection-editor.js';
import { Collections } from './collections.js';
import { Login, type Me } from './login.js';
import { Logs } from './logs.js';
import { Metrics } from './metrics.js';
import { Ops } from './ops.js';
import { QueueJobs, Queues } from './queues.js';
import { Records } from './records.js';
import { SettingsPage } from './settings.js';
import { Account, Users } from './users.js';
import { WafEvents } from './waf.js';
import { href, useRoute } from './route.js';

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();

  useEffect(() => {
    api<{ record: Me }>('GET', `${AUTH}/me`, undefined, { quiet401: true }).then(
      (r) => setMe(r.record),
      () => setMe(null),
    );
    return onSessionEnded(() => {
      setNotice('Your session has ended (timed out or signed out elsewhere). Sign in again.');
      setMe(null);
    });
  }, []);

  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null)
    return (
      <Login
        notice={notice}
        onIn={(m) => {
          setNotice(undefined);
          setMe(m);
        }}
      />
    );

  const logout = async () => {
    await api('POST', `${AUTH}/logout`, {}).catch(() => undefined);
    setNotice('You are signed out.');
    setMe(null);
  };

  const [page = 'collections', name, sub] = route;
  return (
    <>
      <header class="top">
        <a class="brand" href={href('collections')}>
          Strata
        </a>
        <nav aria-label="Main">
          <a href={href('collections')} aria-current={page === 'collections' || page === 'records' ? 'page' : undefined}>
            Collections
          </a>
          <a href={href('queues')} aria-current={page === 'queues' ? 'page' : undefined}>
            Queues
          </a>
          <a href={href('users')} aria-current={page === 'users' ? 'page' : undefined}>
            Users
          </a>
          <a href={href('waf')} aria-current={page === 'waf' ? 'page' : undefined}>
            WAF events
          </a>
          <a href={href('ops')} aria-current={page === 'ops' ? 'page' : undefined}>
            Operations
          </a>
          <a href={href('metrics')} aria-current={page === 'metrics' ? 'page' : undefined}>
            Metrics
          </a>
          <a href={href('logs')} aria-current={page === 'logs' ? 'page' : undefined}>
            Logs
          </a>
          <a href={href('settings')} aria-current={page === 'settings' ? 'page' : undefined}>
            Settings
          </a>
        </nav>
        <span class="who" title="Signed in as">
          {me.email}
        </span>
        <button type="button" class="secondary" onClick={logout}>
          Sign out
        </button>
      </header>
      <main class="page">
        {page === 'users' ? (
          name && sub ? <Account key={`${name}/${sub}`} collection={name} id={sub} /> : <Users key={name ?? ''} name={name} />
        ) : page === 'waf' ? (
          <WafEvents />
        ) : page === 'metrics' ? (
          <Metrics />
        ) : page === 'logs' ? (
          <Logs tab={name} />
        ) : page === 'settings' ? (
          <SettingsPage />
        ) : page === 'ops' ? (
          <Ops tab={name} />
        ) : page === 'queues' ? (
          name ? <QueueJobs key={name} name={name} /> : <Queues />
        ) : page === 'records' && name ? (
          <Records key={name} name={name} />
        ) : page === 'collections' && name === 'new' ? (
          <CollectionEditor key="new" />
        ) : page === 'collections' && name && sub === 'edit' ? (
          <CollectionEditor key={name} name={name} />
        ) : (
          <Collections />
        )}
      </main>
    </>
  );
}
