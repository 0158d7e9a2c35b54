// Hash routes (#/collections/posts/edit): the server serves one shell at /_/ and needs no fallback.
import { useEffect, useState } from 'preact/hooks';

export function useRoute(): string[] {
  const parts = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parts);
  useEffect(() => {
    const on = () => setRoute(parts());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;
export const go = (...parts: string[]) => {
  location.hash = href(...parts);
};
