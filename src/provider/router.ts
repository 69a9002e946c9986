/**
 * The provider's HTTP surface, mounted at the issuer's path. The endpoints are plain functions
 * returning an HttpResult; this file is the only one of provider/ that knows Express.
 */
import { Router, type Response } from 'express';
import type { SignatureAlg } from '../config/definitions.js';
import type { KeyManager } from '../keys/key-manager.js';
import { discoveryEndpoint, DISCOVERY_PATH, JWKS_PATH } from './discovery.js';
import type { HttpResult } from './http-result.js';
import { jwksEndpoint } from './jwks.js';

export interface ProviderRouterOptions {
  issuer: string;
  signatureAlg: SignatureAlg;
  keys: KeyManager;
}

export function providerRouter({ issuer, signatureAlg, keys }: ProviderRouterOptions): Router {
  const router = Router();
  const discovery = discoveryEndpoint({ issuer, signatureAlg });
  const jwks = jwksEndpoint(keys);
  router.get(DISCOVERY_PATH, (req, res) => send(res, discovery(req.get('if-none-match'))));
  router.get(JWKS_PATH, (req, res) => send(res, jwks(req.get('if-none-match'))));
  return router;
}

/** The path the provider is mounted at: the issuer's path without a trailing slash. */
export function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/$/, '');
}

/** Sends exactly the given headers and body (Express would append a charset to the type). */
function send(res: Response, result: HttpResult): void {
  res.status(result.status);
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  if (result.body === undefined) {
    res.end();
    return;
  }
  const body = Buffer.from(result.body, 'utf8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
