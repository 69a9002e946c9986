/**
 * A generic error page: a heading and a message, nothing more (no details, no stack).
 */
import { html } from './html.js';
import { page } from './layout.js';

export function errorPage(v: { title: string; message: string; lang?: string }): string {
  const body = html`<h1>${v.title}</h1>
<p class="sub">${v.message}</p>`;
  return page({ title: v.title, body: body.value, lang: v.lang });
}
