/**
 * The account page's rules as plain data (console/src/account): the device of a session in
 * words, the profile form's changes and checks, the password form's checks and the server's
 * refusals put beside their fields (extensions.field) or above the form with the wait.
 */
import { CombinedError } from '@urql/core';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { accessInWords, homePage, removableApps } from '../src/account/AppsSection';
import { emailChangeProblems, emptyEmailForm, validateEmailChange } from '../src/account/email-form';
import { formProblems } from '../src/account/forms';
import { emptyPasswordForm, passwordProblems, validatePassword } from '../src/account/password-form';
import { profileFormOf, profileInput, validateProfile } from '../src/account/profile-form';
import { ACCOUNT_SCOPE } from '../src/account/scope';
import { sessionName } from '../src/account/SessionsSection';
import { deviceSummary } from '../src/account/user-agent';
import { formatWait, problemOf } from '../src/graphql/problems';

const refusal = (...errors: { message: string; extensions: Record<string, unknown> }[]) => problemOf(new CombinedError({ graphQLErrors: errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions })) }));

describe('deviceSummary', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86', 'Edge on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', 'Chrome on iPhone'],
    ['Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15', 'Firefox on iPad'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36', 'Samsung Internet on Android'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on ChromeOS'],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0', 'Opera on Windows'],
  ])('%s → %s', (ua, words) => {
    expect(deviceSummary(ua)).toBe(words);
  });

  it('says what it knows, and "Unknown device" for nothing it knows', () => {
    expect(deviceSummary('SomeBot/1.0 (Windows)')).toBe('Windows');
    expect(deviceSummary('node')).toBe('Unknown device');
    expect(deviceSummary('curl/8.5.0')).toBe('Unknown device');
    expect(deviceSummary('')).toBe('Unknown device');
    expect(deviceSummary(null)).toBe('Unknown device');
  });

  it('names a session by its device and address, never by the raw User-Agent', () => {
    expect(sessionName({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36', ip: '192.0.2.7' })).toBe('Chrome on Linux, 192.0.2.7');
    expect(sessionName({ userAgent: null, ip: null })).toBe('Unknown device');
  });
});

describe('the profile form', () => {
  const user = { givenName: 'Ada', familyName: null, locale: 'en', picture: null };

  it('sends only what changed, trimmed, an emptied field as null', () => {
    const original = profileFormOf(user);
    expect(original).toEqual({ givenName: 'Ada', familyName: '', locale: 'en', picture: '' });
    expect(profileInput(original, { ...original, givenName: ' Ada ' })).toEqual({});
    expect(profileInput(original, { ...original, familyName: ' Lovelace ', locale: '' })).toEqual({ familyName: 'Lovelace', locale: null });
  });

  it('checks the language tag and the picture URL before sending, as the API does', () => {
    const form = profileFormOf(user);
    expect(validateProfile(form)).toEqual({});
    expect(validateProfile({ ...form, locale: 'pt-BR', picture: 'https://pictures.example/ada.png' })).toEqual({});
    expect(validateProfile({ ...form, locale: 'not a tag!', picture: 'javascript:alert(1)' })).toEqual({
      locale: 'Use a language tag, such as en or pt-BR.',
      picture: 'Use an address starting with https:// (or http://).',
    });
    expect(validateProfile({ ...form, picture: 'ada.png' }).picture).toBeDefined();
  });

  it('puts the server\'s field problems beside their fields, the rest above the form', () => {
    const refused = refusal({ message: 'givenName: Too big: expected string to have <=255 characters', extensions: { code: 'BAD_USER_INPUT', field: 'givenName' } });
    expect(formProblems(refused, ['givenName', 'familyName', 'locale', 'picture'])).toEqual({ fields: { givenName: 'Too big: expected string to have <=255 characters.' }, problem: undefined });
    const elsewhere = refusal({ message: 'email: must be an email address', extensions: { code: 'BAD_USER_INPUT', field: 'email' } });
    expect(formProblems(elsewhere, ['givenName']).problem?.message).toBe('Email: must be an email address.');
    const forbidden = refusal({ message: 'the profile:write scope is required', extensions: { code: 'FORBIDDEN' } });
    expect(formProblems(forbidden, ['givenName'])).toMatchObject({ fields: {}, problem: { message: 'the profile:write scope is required' } });
  });
});

describe('the password form', () => {
  const filled = { ...emptyPasswordForm, current: 'correct horse battery staple', next: 'a brand new passphrase', again: 'a brand new passphrase' };

  it('signs out everywhere else by default, as the API', () => {
    expect(emptyPasswordForm.endOthers).toBe(true);
  });

  it('asks for the current password, a new one by the rules, the same twice, and another than the current', () => {
    expect(validatePassword(filled)).toEqual({});
    expect(validatePassword(emptyPasswordForm)).toEqual({ current: 'Enter your current password.', next: 'Enter a password.' });
    expect(validatePassword({ ...filled, next: 'short', again: 'short' })).toEqual({ next: 'Use at least 8 characters.' });
    expect(validatePassword({ ...filled, again: 'a brand new passphrasE' })).toEqual({ again: 'The two new passwords differ: type the same one twice.' });
    expect(validatePassword({ ...filled, next: filled.current, again: filled.current })).toEqual({ next: 'Choose a password other than the current one.' });
  });

  it('a wrong current password goes beside that field; a refused new one beside its own', () => {
    const wrong = refusal({ message: 'currentPassword: incorrect password', extensions: { code: 'BAD_USER_INPUT', field: 'currentPassword' } });
    expect(passwordProblems(wrong)).toEqual({ fields: { current: 'This is not your current password.' }, problem: undefined });
    const weak = refusal({ message: 'newPassword: Too small: expected string to have >=8 characters', extensions: { code: 'BAD_USER_INPUT', field: 'newPassword' } });
    expect(passwordProblems(weak).fields).toEqual({ next: 'Too small: expected string to have >=8 characters.' });
  });

  it('too many wrong ones (TOO_MANY_REQUESTS) go above the form with the wait', () => {
    const throttled = refusal({ message: 'too many wrong passwords: try again in 900 s', extensions: { code: 'TOO_MANY_REQUESTS', retryAfter: 900 } });
    expect(throttled?.retryAfter).toBe(900);
    expect(passwordProblems(throttled)).toMatchObject({ fields: {}, problem: { message: 'Too many wrong passwords. Try again in 15 minutes.', retryAfter: 900 } });
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(0.2)).toBe('1 second');
    expect(formatWait(59)).toBe('59 seconds');
    expect(formatWait(60)).toBe('1 minute');
    expect(formatWait(61)).toBe('2 minutes');
  });

  it('an ended session or a lost connection is said above the form', () => {
    const offline = problemOf(new CombinedError({ networkError: new Error('Failed to fetch') }));
    expect(passwordProblems(offline)).toMatchObject({ fields: {}, problem: { offline: true } });
  });
});

describe('the connected applications', () => {
  it('never offers to remove the service\'s own clients: the console and this page', () => {
    const apps = [{ clientId: 'jwt-oidc-account' }, { clientId: 'shop' }, { clientId: 'jwt-oidc-console' }, { clientId: 'constructor' }];
    expect(removableApps(apps).map((a) => a.clientId)).toEqual(['shop', 'constructor']);
  });

  it('links a home page only when it is http(s)', () => {
    expect(homePage('https://shop.example')).toBe('https://shop.example');
    expect(homePage('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000/');
    for (const uri of ['javascript:alert(1)', 'data:text/html,x', 'not a url', '', null, undefined]) expect(homePage(uri), String(uri)).toBeUndefined();
  });

  it('says the access in the consent page\'s words', () => {
    expect(accessInWords(['email', 'offline_access', 'openid', 'profile', 'orders:read'])).toEqual([
      'Your email address',
      'Stay connected when you are not using it',
      'Confirm your identity',
      'See your name, username, picture and language',
      'Access “orders:read”',
    ]);
  });
});

describe('the page\'s scopes', () => {
  it('ask for what managing the account takes, and never admin', () => {
    expect(ACCOUNT_SCOPE.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
  });
});

describe('the email-change form', () => {
  it('checks what a person can fix before anything is sent', () => {
    expect(validateEmailChange(emptyEmailForm, 'ada@example.com')).toEqual({ email: 'Enter the new address.', current: 'Enter your current password.' });
    expect(validateEmailChange({ email: 'ada at example', current: 'pw' }, 'ada@example.com')).toEqual({ email: 'Enter an email address, such as name@example.com.' });
    expect(validateEmailChange({ email: ' ADA@example.com ', current: 'pw' }, 'ada@example.com')).toEqual({ email: 'This is the address of your account already.' });
    expect(validateEmailChange({ email: ' ada@example.org ', current: 'pw' }, null)).toEqual({});
  });

  it('puts the server\'s refusals beside their fields, and too many attempts above the form with the wait', () => {
    const wrong = emailChangeProblems(refusal({ message: 'currentPassword: incorrect password', extensions: { code: 'BAD_USER_INPUT', field: 'currentPassword' } }));
    expect(wrong).toEqual({ fields: { current: 'This is not your current password.' }, problem: undefined });
    const own = emailChangeProblems(refusal({ message: 'email: this is the address of your account already', extensions: { code: 'BAD_USER_INPUT', field: 'email' } }));
    expect(own.fields).toEqual({ email: 'This is the address of your account already.' });
    const throttled = emailChangeProblems(refusal({ message: 'too many email changes asked: try again in 90 s', extensions: { code: 'TOO_MANY_REQUESTS', retryAfter: 90 } }));
    expect(throttled.fields).toEqual({});
    expect(throttled.problem?.message).toBe(`Too many attempts. Try again in ${formatWait(90)}.`);
    const other = emailChangeProblems(refusal({ message: 'changing the email address needs mail: set JWT_OIDC_SMTP_URL', extensions: { code: 'BAD_REQUEST' } }));
    expect(other.problem?.message).toBe('changing the email address needs mail: set JWT_OIDC_SMTP_URL');
  });
});
