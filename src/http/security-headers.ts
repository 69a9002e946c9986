/**
 * Security headers for every response (helmet), with a strict CSP: the API serves JSON, and the
 * few HTML pages set their own nonce-based policy. Framing is refused everywhere
 * (RFC 6749 §10.13 clickjacking; docs/SECURITY.md SE-06).
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
