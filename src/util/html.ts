/**
 * HTML escaping for the server-rendered pages and the HTML of mails (src/users/invitations.ts):
 * every dynamic value goes through `escapeHtml`, or through the `html` tag, which escapes each
 * interpolation unless it is already `Raw`. Pages import it as src/interaction/views/html.ts.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for use in element content and in quoted attribute values; null/undefined → ''. */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** HTML that is already safe: produced by `html` or deliberately trusted with `raw`. */
export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks a string as trusted HTML. Only for constants and the output of this module. */
export function raw(value: string): Raw {
  return new Raw(value);
}

/** One interpolated value: `Raw` as is, arrays joined, null/undefined/false omitted (handy for `cond && html`…``), the rest escaped. */
function render(value: unknown): string {
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === false) return '';
  return escapeHtml(value);
}

/** Tagged template: the literal parts are trusted, every `${…}` is escaped. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Raw(out);
}
