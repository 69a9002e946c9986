/**
 * A generic error page: a heading and a message, nothing more (no details, no stack); the request
 * id for support, and a way back to the application when it is known (its registered home page,
 * never a URI taken from the request).
 */
import { html } from './html.js';
import { page } from './layout.js';

export function errorPage(v: { title: string; message: string; lang?: string; back?: { name: string; url: string } }): string {
  const body = html`<h1>${v.title}</h1>
<p class="sub">${v.message}</p>${v.back ? html`\n<a class="back" href="${v.back.url}">Back to ${v.back.name}</a>` : ''}`;
  return page({ title: v.title, body: body.value, lang: v.lang, error: true });
}

/** The "Back to <name>" link of a client that registered its home page (`client_uri`, RFC 7591 §2). */
export function backTo(client: { name: string; clientUri: string | null } | undefined): { name: string; url: string } | undefined {
  return client?.clientUri ? { name: client.name, url: client.clientUri } : undefined;
}
