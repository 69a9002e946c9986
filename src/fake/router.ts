/**
 * The fake provider's HTTP surface, at the same paths as the real provider (under the issuer's
 * path). CORS for the allowed origins on everything a single-page app calls directly.
 */
import express, { Router } from 'express';
import { handle, send, withCors } from '../http/endpoint.js';
import { AUTHORIZATION_PATH, DISCOVERY_PATH, JWKS_PATH, TOKEN_PATH, USERINFO_PATH } from '../provider/discovery.js';
import { END_SESSION_PATH } from '../provider/end-session.js';
import { FAKE_LOGIN_PATH, fakeAuthorize, fakeLogin } from './authorize.js';
import type { FakeContext } from './context.js';
import { fakeDiscovery, fakeJwks } from './discovery.js';
import { fakeEndSession } from './end-session.js';
import { fakeToken } from './token.js';
import { fakeUserinfo } from './userinfo.js';

const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });
const json = express.json({ limit: '64kb' });

export function fakeRouter(ctx: FakeContext): Router {
  const router = Router();
  const cors = (methods: string) => withCors({ isAllowed: ctx.isAllowedOrigin, methods });
  const discovery = fakeDiscovery(ctx);
  const jwks = fakeJwks(ctx);

  router.use(DISCOVERY_PATH, cors('GET'));
  router.get(DISCOVERY_PATH, (req, res) => send(res, discovery(req.get('if-none-match'))));
  router.use(JWKS_PATH, cors('GET'));
  router.get(JWKS_PATH, (req, res) => send(res, jwks(req.get('if-none-match'))));

  router.get(AUTHORIZATION_PATH, handle((r) => fakeAuthorize(ctx, r)));
  router.post(AUTHORIZATION_PATH, form, handle((r) => fakeAuthorize(ctx, r)));
  router.post(FAKE_LOGIN_PATH, form, handle((r) => fakeLogin(ctx, r)));

  router.use(TOKEN_PATH, cors('POST'));
  router.all(TOKEN_PATH, form, json, handle((r) => fakeToken(ctx, r)));

  router.use(USERINFO_PATH, cors('GET, POST'));
  router.get(USERINFO_PATH, handle((r) => fakeUserinfo(ctx, r)));
  router.post(USERINFO_PATH, form, handle((r) => fakeUserinfo(ctx, r)));

  router.get(END_SESSION_PATH, handle((r) => fakeEndSession(ctx, r)));
  router.post(END_SESSION_PATH, form, handle((r) => fakeEndSession(ctx, r)));
  // Browsers ask for it on every page; an empty answer keeps their consoles clean.
  router.get('/favicon.ico', (_req, res) => void res.status(204).end());
  return router;
}
