/**
 * A generic error page: a heading and a message, nothing more (no details, no stack); the request
 * id for support, and a way back to the application when it is known (its registered home page,
 * never a URI taken from the request).
 */
import type { BackLink } from '../../provider/http-result.js';
import { html } from './html.js';
import { page } from './layout.js';

export function errorPage(v: { title: string; message: string; lang?: string; back?: BackLink }): string {
  const body = html`<h1>${v.title}</h1>
<p class="sub">${v.message}</p>${v.back ? html`\n<a class="back" href="${v.back.url}">Back to ${v.back.name}</a>` : ''}`;
  return page({ title: v.title, body: body.value, lang: v.lang, error: true });
}

