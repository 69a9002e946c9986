/**
 * The provider's HTTP surface, mounted at the issuer's path. Endpoints are plain functions over a
 * ProviderRequest returning an HttpResult: provider/ knows no Express; this edge adapts them.
 */
import express, { Router } from 'express';
import { showEnrolment, submitEnrolment, submitPasskeyEnrolment } from '../interaction/enrolment.js';
import { showSecondFactor, submitSecondFactor } from '../interaction/second-factor.js';
import { submitPasskeyLogin, submitPasskeySecondFactor } from '../interaction/passkey-step.js';
import { routePasskeyScripts } from './passkey-scripts.js';
import { passwordLogin, showInteraction, submitConsent, submitSelect, type LoginStep } from '../interaction/handlers.js';
import { handle, send, withCors } from './endpoint.js';
import type { DocumentEndpoint } from './fast-lane.js';
import type { FormEndpoint } from './form-lane.js';
import { authorize } from '../provider/authorization/authorize.js';
import type { ProviderContext } from '../provider/context.js';
import { clientIdMetadataOn } from '../provider/registration/client-id-metadata.js';
import { AUTHORIZATION_PATH, DEVICE_AUTHORIZATION_PATH, DEVICE_PATH, authorizationServerMetadataPath, discoveryEndpoint, DISCOVERY_PATH, END_SESSION_CONFIRM_PATH, END_SESSION_PATH, INTROSPECTION_PATH, JWKS_PATH, PAR_PATH, REGISTRATION_PATH, REVOCATION_PATH, TOKEN_PATH, USERINFO_PATH } from '../provider/discovery.js';
import { pushedAuthorizationRequestEndpoint } from '../provider/authorization/par.js';
import { deviceAuthorizationEndpoint } from '../provider/device-authorization.js';
import { confirmDevice, DEVICE_CONFIRM_PATH, showDevice, submitDevice } from '../interaction/device.js';
import { registrationEndpoint, registrationManagementEndpoint } from '../provider/registration/endpoint.js';
import { jsonResult } from '../provider/http-result.js';
import { jwksEndpoint } from '../provider/jwks.js';
import { confirmEndSession, endSession } from '../provider/end-session.js';
import { introspectionEndpoint } from '../provider/introspection.js';
import { revocationEndpoint } from '../provider/revocation.js';
import { tokenEndpoint } from '../provider/token/token-endpoint.js';
import { userinfoEndpoint } from '../provider/userinfo.js';
import { SETUP_PATH, showSetup, submitSetup, type FirstAdminSetup } from '../interaction/first-admin.js';
import { invitationsOn, passwordResetOn, registrationOn } from '../config/derive.js';
import { INVITATION_PATH, showInvitation, submitInvitation } from '../interaction/invitation.js';
import { PASSWORD_RESET_PATH, showReset, showResetRequest, submitReset, submitResetRequest } from '../interaction/password-reset.js';
import { EMAIL_CHANGE_PATH, showEmailChange, submitEmailChange } from '../interaction/email-change.js';
import { REGISTER_PATH, showRegister, showResend, showVerify, submitRegister, submitResend, submitVerify, VERIFY_PATH } from '../interaction/registration.js';
import { isLocalRequest } from './local-request.js';

/** Form bodies: small, flat (duplicates become arrays, which protocol code refuses). */
const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });

/** Client metadata (RFC 7591 §3.1): a small JSON object; one that does not parse is refused in JSON. */
const clientMetadata = [
  express.json({ limit: '64kb' }),
  (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => send(res, jsonResult(400, { error: 'invalid_client_metadata', error_description: 'the body must be a JSON object of at most 64 KB' })),
];

/** The documents of the provider that never depend on who asks, by path below the issuer. */
export function providerDocuments(ctx: ProviderContext): { [DISCOVERY_PATH]: DocumentEndpoint; [JWKS_PATH]: DocumentEndpoint } {
  return {
    [DISCOVERY_PATH]: discoveryEndpoint({ issuer: ctx.issuer, signatureAlg: ctx.settings.signatureAlg, apiScopes: ctx.settings.apiScopes, requirePar: ctx.settings.requirePar, registration: ctx.settings.registrationPolicy !== 'off', clientIdMetadata: clientIdMetadataOn(ctx.settings) }),
    [JWKS_PATH]: jwksEndpoint(ctx.keys),
  };
}

/**
 * The documents by their path on the server: discovery and JWKS below the issuer's path, and
 * discovery's document once more as RFC 8414 authorization server metadata, whose well-known
 * path comes before the issuer's (§3).
 */
export function documentPaths(issuer: string, documents: ReturnType<typeof providerDocuments>): Record<string, DocumentEndpoint> {
  const prefix = issuerPath(issuer);
  return { [prefix + DISCOVERY_PATH]: documents[DISCOVERY_PATH], [prefix + JWKS_PATH]: documents[JWKS_PATH], [authorizationServerMetadataPath(issuer)]: documents[DISCOVERY_PATH] };
}

/**
 * The form endpoints the form lane answers before the router (form-lane.ts), by their path on the
 * server: the token endpoint, with the parser and the endpoint function of its route below.
 */
export function formPaths(ctx: ProviderContext): Record<string, FormEndpoint> {
  const prefix = issuerPath(ctx.issuer);
  return { [prefix + TOKEN_PATH]: { route: prefix + TOKEN_PATH, parse: form, endpoint: (r) => tokenEndpoint(ctx, r) } };
}

/** RFC 8414 §3: the authorization server metadata, outside the issuer's path (mounted at the root), with discovery's CORS. */
export function authorizationServerMetadataRouter(ctx: ProviderContext, documents: ReturnType<typeof providerDocuments>): Router {
  const router = Router();
  const path = authorizationServerMetadataPath(ctx.issuer);
  const metadata = documents[DISCOVERY_PATH];
  router.use(path, providerCors(ctx, 'GET'));
  router.get(path, (req, res) => send(res, metadata(req.get('if-none-match'))));
  return router;
}

/** CORS for the registered clients' origins (their `allowedOrigins`). */
function providerCors(ctx: ProviderContext, methods: string) {
  return withCors({ isAllowed: (o) => ctx.clients.isAllowedOrigin(o), methods });
}

/**
 * `login`: how users say who they are (default: the password form; the fake mode: anyone);
 * `setup`: the first-run page that creates the first administrator (provider mode, ADMIN_CONSOLE).
 */
export function providerRouter(ctx: ProviderContext, documents = providerDocuments(ctx), login: LoginStep = passwordLogin, setup?: FirstAdminSetup): Router {
  const router = Router();
  const discovery = documents[DISCOVERY_PATH];
  const jwks = documents[JWKS_PATH];
  const cors = (methods: string) => providerCors(ctx, methods);

  router.use(DISCOVERY_PATH, cors('GET'));
  router.get(DISCOVERY_PATH, (req, res) => send(res, discovery(req.get('if-none-match'))));
  router.use(JWKS_PATH, cors('GET'));
  router.get(JWKS_PATH, (req, res) => send(res, jwks(req.get('if-none-match'))));

  router.get(AUTHORIZATION_PATH, handle((r) => authorize(ctx, r)));
  router.post(AUTHORIZATION_PATH, form, handle((r) => authorize(ctx, r)));

  router.get('/interaction/:uid', handle((r, req) => showInteraction(ctx, r, String(req.params.uid), login)));
  router.post('/interaction/:uid/login', form, handle((r, req) => login.submit(ctx, r, String(req.params.uid))));
  router.post('/interaction/:uid/consent', form, handle((r, req) => submitConsent(ctx, r, String(req.params.uid))));
  router.get('/interaction/:uid/mfa', handle((r, req) => showSecondFactor(ctx, r, String(req.params.uid))));
  router.post('/interaction/:uid/mfa', form, handle((r, req) => submitSecondFactor(ctx, r, String(req.params.uid))));
  router.get('/interaction/:uid/enrol', handle((r, req) => showEnrolment(ctx, r, String(req.params.uid))));
  router.post('/interaction/:uid/enrol', form, handle((r, req) => submitEnrolment(ctx, r, String(req.params.uid))));
  router.post('/interaction/:uid/enrol/passkey', form, handle((r, req) => submitPasskeyEnrolment(ctx, r, String(req.params.uid))));
  router.post('/interaction/:uid/mfa/passkey', form, handle((r, req) => submitPasskeySecondFactor(ctx, r, String(req.params.uid))));
  // Passwordless sign-in with a passkey (docs/ACCOUNTS.md "Passkeys"), when PASSKEY_LOGIN is on.
  if (ctx.settings.passkeyLogin) router.post('/interaction/:uid/passkey', form, handle((r, req) => submitPasskeyLogin(ctx, r, String(req.params.uid))));
  // The passkey pages' scripts (`script-src 'self'`).
  routePasskeyScripts(router);
  router.post('/interaction/:uid/select', form, handle((r, req) => submitSelect(ctx, r, String(req.params.uid))));

  // RFC 8628: the device authorization endpoint (JSON, as /token) and the verification page.
  router.use(DEVICE_AUTHORIZATION_PATH, cors('POST'));
  router.all(DEVICE_AUTHORIZATION_PATH, form, handle((r) => deviceAuthorizationEndpoint(ctx, r)));
  router.get(DEVICE_PATH, handle((r) => showDevice(ctx, r)));
  router.post(DEVICE_PATH, form, handle((r) => submitDevice(ctx, r)));
  router.post(DEVICE_CONFIRM_PATH, form, handle((r) => confirmDevice(ctx, r)));

  router.use(TOKEN_PATH, cors('POST'));
  router.all(TOKEN_PATH, form, handle((r) => tokenEndpoint(ctx, r)));
  // RFC 9126: POST only (any other method is 405), the token endpoint's body limit and CORS.
  router.use(PAR_PATH, cors('POST'));
  router.all(PAR_PATH, form, handle((r) => pushedAuthorizationRequestEndpoint(ctx, r)));

  // RFC 7591/7592, when JWT_OIDC_REGISTRATION_POLICY is not off (otherwise 404 as any unknown path).
  if (ctx.settings.registrationPolicy !== 'off') {
    router.all(REGISTRATION_PATH, ...clientMetadata, handle((r) => registrationEndpoint(ctx, r)));
    router.all(`${REGISTRATION_PATH}/:clientId`, ...clientMetadata, handle((r, req) => registrationManagementEndpoint(ctx, r, String(req.params.clientId))));
  }

  router.use(REVOCATION_PATH, cors('POST'));
  router.all(REVOCATION_PATH, form, handle((r) => revocationEndpoint(ctx, r)));
  router.use(INTROSPECTION_PATH, cors('POST'));
  router.all(INTROSPECTION_PATH, form, handle((r) => introspectionEndpoint(ctx, r)));

  router.get(END_SESSION_PATH, handle((r) => endSession(ctx, r)));
  router.post(END_SESSION_PATH, form, handle((r) => endSession(ctx, r)));
  router.post(END_SESSION_CONFIRM_PATH, form, handle((r) => confirmEndSession(ctx, r)));

  // Password reset by mail (docs/ACCOUNTS.md), where mail can be sent (PASSWORD_RESET).
  if (passwordResetOn(ctx.settings) && ctx.mailer) {
    router.get(PASSWORD_RESET_PATH, handle((r) => showResetRequest(ctx, r)));
    router.post(PASSWORD_RESET_PATH, form, handle((r) => submitResetRequest(ctx, r)));
    router.get(`${PASSWORD_RESET_PATH}/:token`, handle((r, req) => showReset(ctx, r, String(req.params.token))));
    router.post(`${PASSWORD_RESET_PATH}/:token`, form, handle((r, req) => submitReset(ctx, r, String(req.params.token))));
    // The same, continuing a sign-in: under its interaction, so that its cookie comes along.
    router.post('/interaction/:uid/reset/:token', form, handle((r, req) => submitReset(ctx, r, String(req.params.token), String(req.params.uid))));
  }

  // Self-registration with a mailed confirmation link (docs/ACCOUNTS.md), when REGISTRATION=open.
  if (registrationOn(ctx.settings) && ctx.mailer) {
    router.get(REGISTER_PATH, handle((r) => showRegister(ctx, r)));
    router.post(REGISTER_PATH, form, handle((r) => submitRegister(ctx, r)));
    router.get(VERIFY_PATH, handle((r) => showResend(ctx, r)));
    router.post(VERIFY_PATH, form, handle((r) => submitResend(ctx, r)));
    router.get(`${VERIFY_PATH}/:token`, handle((r, req) => showVerify(ctx, r, String(req.params.token))));
    router.post(`${VERIFY_PATH}/:token`, form, handle((r, req) => submitVerify(ctx, r, String(req.params.token))));
    // The same, continuing a sign-in: under its interaction, so that its cookie comes along.
    router.post('/interaction/:uid/verify/:token', form, handle((r, req) => submitVerify(ctx, r, String(req.params.token), String(req.params.uid))));
  }

  // The link that confirms a new address of one's account (docs/ACCOUNTS.md), where mail can be sent.
  if (ctx.mailer) {
    router.get(`${EMAIL_CHANGE_PATH}/:token`, handle((r, req) => showEmailChange(ctx, r, String(req.params.token))));
    router.post(`${EMAIL_CHANGE_PATH}/:token`, form, handle((r, req) => submitEmailChange(ctx, r, String(req.params.token))));
  }

  // An invitation's link (docs/ACCOUNTS.md "Invitations"), when REGISTRATION=invite or open.
  if (invitationsOn(ctx.settings) && ctx.mailer) {
    router.get(`${INVITATION_PATH}/:token`, handle((r, req) => showInvitation(ctx, r, String(req.params.token))));
    router.post(`${INVITATION_PATH}/:token`, form, handle((r, req) => submitInvitation(ctx, r, String(req.params.token))));
  }

  if (setup) {
    router.get(SETUP_PATH, handle((r, req) => showSetup(ctx, setup, { ...r, local: isLocalRequest(req) })));
    router.post(SETUP_PATH, form, handle((r, req) => submitSetup(ctx, setup, { ...r, local: isLocalRequest(req) })));
  }

  router.use(USERINFO_PATH, cors('GET, POST'));
  router.get(USERINFO_PATH, handle((r) => userinfoEndpoint(ctx, r)));
  router.post(USERINFO_PATH, form, handle((r) => userinfoEndpoint(ctx, r)));
  return router;
}

/** The path the provider is mounted at: the issuer's path without a trailing slash. */
export function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/$/, '');
}
