/**
 * Security headers for every response (helmet), with a strict CSP: the API serves JSON, and the
 * few HTML pages set their own nonce-based policy. Framing is refused everywhere
 * (RFC 6749 §10.13 clickjacking; SECURITY-CASES SE-06).
 */
import helmet from 'helmet';

export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/** The looser policy of the GraphQL landing page (development only: it loads Apollo's sandbox). */
export const LANDING_PAGE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' https://embeddable-sandbox.cdn.apollographql.com; " +
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; font-src https://fonts.gstatic.com; " +
  "img-src 'self' data: https://apollo-server-landing-page.cdn.apollographql.com; " +
  "frame-src https://sandbox.embed.apollographql.com; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";
