// Dynamic pages: Eta templates from one directory, auto-escaped (`<%= %>` escapes; `<%~ %>` is raw
// and should be kept for trusted markup only), cached unless watching for changes.
import { Eta } from 'eta';
import type { Renderer } from './function-routes.js';

/**
 * @example
 * const render = etaRenderer('/app/functions/templates', { cache: true });
 * const html = await render('tasks', { tasks }, nonce); // templates/tasks.eta, `it.tasks`, `it.nonce`
 */
export function etaRenderer(dir: string, opts: { cache: boolean }): Renderer {
  const eta = new Eta({ views: dir, autoEscape: true, cache: opts.cache, autoTrim: false });
  return async (template, data, nonce) => {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_/-]{0,200}$/.test(template) || template.includes('..')) throw new Error(`invalid template name ${JSON.stringify(template)}`);
    return eta.renderAsync(template, { ...data, nonce });
  };
}
