/**
 * The fake provider's end-session endpoint (RP-Initiated Logout 1.0): forgets the browser's
 * identity (so `prompt=none` answers `login_required`), then returns to
 * `post_logout_redirect_uri` with `state` when it is on an allowed origin, else shows a page.
 */
import { htmlPage } from '../interaction/views/render.js';
import { serializeCookie } from '../provider/cookies.js';
import { redirectResult, withQuery, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import { IDENTITY_COOKIE } from './authorize.js';
import { isAllowedRedirect, type FakeContext } from './context.js';
import { fakeMessagePage } from './views.js';

export async function fakeEndSession(ctx: FakeContext, req: ProviderRequest): Promise<HttpResult> {
  const params = readParams(req.method === 'POST' ? req.body : req.query);
  const cleared = serializeCookie({ name: IDENTITY_COOKIE, value: '', maxAge: 0, path: '/', secure: ctx.secureCookies, sameSite: 'Lax' });
  const target = params.get('post_logout_redirect_uri');
  if (target && !params.duplicates.includes('post_logout_redirect_uri') && isAllowedRedirect(ctx, target)) {
    return redirectResult(withQuery(target, { state: params.get('state') }), [cleared]);
  }
  return htmlPage(200, fakeMessagePage('Signed out', 'You are signed out of the fake provider.', false), {}, [cleared]);
}

