/**
 * The fake mode's login step: "sign in as anyone". The page lists the recent identities (one
 * click) and takes a new one (any `sub`, email, name, extra claims), and how the user is said to
 * have authenticated (`acr`, `amr`: authentication.ts). Everything around it is the
 * provider's: the interaction bound to this browser and its CSRF token, a fresh session, the
 * authorization's end (docs/ARCHITECTURE.md "The fake mode").
 */
import { audit } from '../audit.js';
import { action, afterLogin, EXPIRED, live, startSession, type LoginStep, type Live } from '../interaction/handlers.js';
import { errorPage } from '../interaction/views/error.js';
import { pageCsp } from '../interaction/views/layout.js';
import { htmlPage } from '../interaction/views/render.js';
import type { ProviderContext } from '../provider/context.js';
import type { HttpResult } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import type { User } from '../db/entities/user.js';
import { recentIdentities, saveIdentity, touchIdentity } from './identities.js';
import { acrFor, authenticationFromForm, levelFor, type FakeAuthentication } from './authentication.js';
import { IdentityError, identityFromForm, type IdentityForm } from './identity.js';
import { fakeLoginPage } from './views.js';

export const fakeLogin: LoginStep = {
  page: (ctx, found) => loginPage(ctx, found, 200),
  async submit(ctx, req, uid) {
    const form = readParams(req.body);
    const found = await live(ctx, req, uid, form.get('csrf') ?? '');
    if (!found || found.interaction.userId) return htmlPage(400, errorPage(EXPIRED));
    const typed: IdentityForm = { sub: form.get('sub'), email: form.get('email'), name: form.get('name'), claims: form.get('claims'), level: form.get('level'), acr: form.get('acr'), amr: form.get('amr') };
    let user: User;
    let authn: FakeAuthentication;
    try {
      authn = authenticationFromForm(typed);
      user = await signedInAs(ctx, form.get('identity'), typed);
    } catch (e) {
      if (e instanceof IdentityError) return loginPage(ctx, found, 400, { error: { field: e.field, message: e.message }, typed });
      throw e;
    }
    audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, client: found.client.id, ip: req.ip }, 'fake sign-in');
    // No factor was checked: the session carries the `amr` the developer chose, none by default
    // (RFC 8176 has no value for "none"), and the tokens the chosen `acr`.
    const started = await startSession(ctx, req, uid, user.id, authn.amr, true, false, authn);
    if (!started) return htmlPage(400, errorPage(EXPIRED)); // a parallel post of this form signed in first
    return afterLogin(ctx, found, user, { ...started.session, acr: authn.acr }, [started.cookie]);
  },
};

/** One of the recent identities (by its subject), as it is, or the one typed, stored. */
async function signedInAs(ctx: ProviderContext, recent: string | undefined, typed: IdentityForm): Promise<User> {
  const now = new Date(ctx.clock.now());
  if (recent === undefined) return saveIdentity(ctx.orm, identityFromForm(typed), now);
  const user = await touchIdentity(ctx.orm, recent, now);
  if (!user) throw new IdentityError('sub', 'This identity is no longer there. Type it again.');
  return user;
}

async function loginPage(ctx: ProviderContext, { interaction, request, client }: Live, status: number, shown: { error?: { field: string; message: string }; typed?: IdentityForm } = {}): Promise<HttpResult> {
  const [csrfToken, recent] = await Promise.all([ctx.interactions.renewCsrf(interaction.uid), recentIdentities(ctx.orm)]);
  // The authentication a request asks for (`acr_values`, OIDC Core §3.1.2.1) is preselected.
  const asked = { level: levelFor(request.acrValues), acr: acrFor(request.acrValues) };
  const page = fakeLoginPage({ action: action(ctx, interaction.uid, 'login'), csrfToken, recent, clientName: client.name, asked, ...shown, typed: shown.typed ?? { sub: request.loginHint, ...asked } });
  return htmlPage(status, page, { 'Content-Security-Policy': pageCsp(request.redirectUri) });
}

