/** The pages' HTML escaping: src/util/html.ts, where the mails of the core (invitations) reach it too. */
export { escapeHtml, html, raw, Raw } from '../../util/html.js';
