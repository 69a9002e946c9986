/**
 * One labelled field of the account forms (password reset, registration): its problem beside
 * it, tied to the input by aria-describedby with its hint, and aria-invalid while it has one
 * (WCAG 2.2 SC 3.3.1), as the sign-in and first-run pages do.
 */
import { html, type Raw } from './html.js';

export function field(name: string, label: string, error: string | undefined, input: (attrs: Raw) => Raw, hint?: string): Raw {
  const described = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
  const attrs = html`id="${name}" name="${name}"${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
  return html`<label for="${name}">${label}</label>
${input(attrs)}${hint ? html`\n<p class="hint" id="${name}-hint">${hint}</p>` : ''}${error ? html`\n<p class="error" id="${name}-error">${error}</p>` : ''}`;
}
