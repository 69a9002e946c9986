/**
 * `bearerAuth(options)`: the original REST-framework authentication class as Express
 * middleware. The same verification as the Apollo plugin (RemoteIssuer of @jwt-oidc/resource); the caller ends
 * up in `req.auth`; a bad token is 401 with an RFC 6750 challenge; no token is 401 too unless
 * `optional`; `scopes` (any of the lists) gives 403 insufficient_scope; `acr` (step-up
 * authentication) gives 401 insufficient_user_authentication with RFC 9470 §3's challenge.
 * With the option `dpop`, DPoP-bound tokens (RFC 9449) are taken with their proof for this
 * request: its URL (`htu`) is the one the client called, from `req.protocol` and `req.host`
 * (which follow Express's `trust proxy`) and `req.originalUrl`, or under `publicUrl`.
 */
import type { NextFunction, Request, Response } from 'express';
import {
  BearerError,
  InsufficientUserAuthenticationError,
  IssuerUnavailableError,
  parsePublicUrl,
  refusalHeaders,
  reporter,
  requireScopes,
  requireUserAuthentication,
  stepUpRequirement,
  trustedIssuers,
  userAuthenticationOf,
  type RemoteCaller,
  type ReportOptions,
  type StepUpRequirement,
  type TrustOptions,
} from '@jwt-oidc/resource';

/**
 * The issuer to trust (`issuer`, `audience`, … of RemoteIssuerOptions) or several
 * (`issuers: [{ issuer, audience, algorithms? }, …]` and the options they share, IssuerSetOptions:
 * a token is checked against the configuration of its own `iss` only), and:
 */
export type BearerAuthOptions = TrustOptions & ReportOptions & {
  /** Let requests without a token through with `req.auth = null` (default false). */
  optional?: boolean;
  /** Required scopes: one of these lists, all of its scopes (default none). */
  scopes?: string[][];
  /**
   * A token of a user who authenticated with one of these `acr` values (step-up authentication,
   * RFC 9470): `['urn:jwt-oidc:mfa']`, or `{ acrValues, maxAge }` to also bound the seconds since
   * `auth_time`. Else 401 insufficient_user_authentication naming them (§3). Default: none.
   */
  acr?: readonly string[] | StepUpRequirement;
  /** `realm` of the challenges (default: the issuer; with several issuers, none). */
  realm?: string;
  /**
   * The URL of this API's protected-resource metadata (RFC 9728; what `protectedResourceMetadata`
   * serves), named as `resource_metadata` in every challenge (§5.1). Default: none.
   */
  resourceMetadataUrl?: string;
  /**
   * The URL this app is reached at by clients, e.g. `https://api.example.com` or, when a proxy
   * maps a path prefix to the app's root, `https://example.com/api`: a DPoP proof's `htu` must be
   * it followed by the request's path (RFC 9449 §4.3). Default: derived from the request
   * (`req.protocol`, `req.host`: set Express's `trust proxy` behind a proxy).
   */
  publicUrl?: string;
};

export type BearerAuth = RemoteCaller;

declare module 'express-serve-static-core' {
  interface Request {
    auth?: BearerAuth | null;
  }
}

export function bearerAuth(options: BearerAuthOptions) {
  const issuer = trustedIssuers(options);
  const realm = options.realm ?? ('issuer' in options ? options.issuer : undefined);
  const report = reporter(options);
  const acr = options.acr ? stepUpRequirement(options.acr) : undefined;
  const publicUrl = options.publicUrl === undefined ? undefined : publicBase(options.publicUrl);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    let scheme: 'Bearer' | 'DPoP' | undefined;
    try {
      const v = await issuer.verifyRequest({ method: req.method, url: requestUrl(req, publicUrl), authorization: req.get('authorization'), dpop: req.headers.dpop });
      if (v === undefined) {
        if (!options.optional) throw new BearerError('missing', 'an access token is required');
        req.auth = null;
        return next();
      }
      scheme = v.scheme;
      report.verified(v);
      if (options.scopes) requireScopes(v.scopes, options.scopes);
      if (acr) requireUserAuthentication(userAuthenticationOf(v.claims), acr, options.now);
      req.auth = issuer.caller(v);
      next();
    } catch (e) {
      if (e instanceof IssuerUnavailableError || e instanceof BearerError) report.rejected(e);
      if (e instanceof IssuerUnavailableError) {
        res.status(503).set({ 'Retry-After': String(e.retryAfter), 'Cache-Control': 'no-store' }).json({ error: 'temporarily_unavailable', error_description: e.message });
        return;
      }
      if (!(e instanceof BearerError)) return next(e);
      res
        .status(e.status)
        .set({ ...refusalHeaders(e, { realm, resourceMetadata: options.resourceMetadataUrl, dpop: issuer.dpop, scheme: scheme ?? e.scheme }), 'Cache-Control': 'no-store' })
        .json(errorBody(e));
    }
  };
}

/** `publicUrl` without a trailing slash: the request's path follows it. */
function publicBase(url: string): string {
  const parsed = parsePublicUrl(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/$/, '')}`;
}

/**
 * The URL the client called (RFC 9449 §4.3 step 9 compares it with `htu`): `req.originalUrl`
 * (the path before any router's mount point was cut off) under `publicUrl`, or under the
 * request's own scheme and host. A Host header that is no host makes no URL: the proof fails.
 */
function requestUrl(req: Request, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return `${publicUrl}${req.originalUrl}`;
  return `${req.protocol}://${req.host ?? 'invalid.'}${req.originalUrl}`;
}

/**
 * The refusal's body (BearerError.body()), with the scope alternatives that would do for
 * insufficient_scope, and the `acr_values` and `max_age` for insufficient_user_authentication.
 */
function errorBody(e: BearerError): { error: string; error_description: string; required_scopes?: readonly (readonly string[])[]; acr_values?: string; max_age?: number } {
  const stepUp = e instanceof InsufficientUserAuthenticationError ? { ...(e.acrValues?.length ? { acr_values: e.acrValues.join(' ') } : {}), ...(e.maxAge !== undefined ? { max_age: e.maxAge } : {}) } : {};
  return { ...e.body(), ...(e.alternatives ? { required_scopes: e.alternatives } : {}), ...stepUp };
}
