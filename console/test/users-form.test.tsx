/** The users pages' form logic (console/src/pages/users/form.ts): typed values ⇄ the API's inputs. */
import { describe, expect, it } from 'vitest';
import { createInput, displayName, editFormOf, emptyCreateForm, grantStatus, passwordProblem, shortId, splitFieldProblems, textOrNull, updateConsequences, updateInput, validateCreate } from '../src/pages/users/form';
import { dropNotice, leaveNotice, peekNotice } from '../src/pages/users/notice';

const user = { email: 'ada@example.com', emailVerified: false, givenName: 'Ada', familyName: null, locale: 'en-GB', picture: null, admin: false, active: true };

describe('creating a user', () => {
  it('trims text, leaves out empty optional fields and keeps the password as typed', () => {
    expect(createInput({ ...emptyCreateForm, username: '  Ada.Lovelace ', email: ' ada@example.com ', givenName: ' ', password: ' two words ' })).toEqual({
      username: 'Ada.Lovelace',
      email: 'ada@example.com',
      password: ' two words ',
      admin: false,
    });
  });

  it('sends no password when none was typed: the user then cannot sign in with one', () => {
    const input = createInput({ ...emptyCreateForm, username: 'grace', admin: true, familyName: 'Hopper' });
    expect(input).toEqual({ username: 'grace', admin: true, familyName: 'Hopper' });
    expect('password' in input).toBe(false);
  });

  it('refuses a missing username and a short password before asking the server', () => {
    expect(validateCreate({ ...emptyCreateForm, username: '   ' })).toEqual({ username: 'Enter a username.' });
    expect(validateCreate({ ...emptyCreateForm, username: 'ada', password: 'short' })).toEqual({ password: 'Use at least 8 characters.' });
    expect(validateCreate({ ...emptyCreateForm, username: 'ada', password: '' })).toEqual({});
    expect(validateCreate({ ...emptyCreateForm, username: 'ada', password: '12345678' })).toEqual({});
  });

  it('bounds passwords as the API does (8 to 1024 characters)', () => {
    expect(passwordProblem('')).toBe('Enter a password.');
    expect(passwordProblem('', true)).toBeUndefined();
    expect(passwordProblem('1234567')).toMatch(/at least 8/);
    expect(passwordProblem('x'.repeat(1024))).toBeUndefined();
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
  });
});

describe('updating a user', () => {
  it('loads nulls as empty fields', () => {
    expect(editFormOf(user)).toEqual({ email: 'ada@example.com', emailVerified: false, givenName: 'Ada', familyName: '', locale: 'en-GB', picture: '', admin: false, active: true });
  });

  it('sends only what changed; whitespace alone is no change', () => {
    const original = editFormOf(user);
    expect(updateInput(original, original)).toEqual({});
    expect(updateInput(original, { ...original, givenName: ' Ada ', email: 'ada@example.com  ' })).toEqual({});
    expect(updateInput(original, { ...original, familyName: ' Lovelace ', admin: true })).toEqual({ familyName: 'Lovelace', admin: true });
  });

  it('clears an emptied field with null, which the API takes as "none" (it refuses empty strings)', () => {
    const original = editFormOf(user);
    expect(updateInput(original, { ...original, email: '', locale: '   ' })).toEqual({ email: null, locale: null });
    expect(textOrNull('  ')).toBeNull();
  });

  it('sends a flag turned off as false, not as an omission', () => {
    const original = editFormOf({ ...user, admin: true, emailVerified: true });
    expect(updateInput(original, { ...original, admin: false, emailVerified: false, active: false })).toEqual({ admin: false, emailVerified: false, active: false });
  });

  it('names what deactivating and removing the admin flag end, and nothing for other changes', () => {
    expect(updateConsequences({ active: false, admin: false })).toHaveLength(2);
    expect(updateConsequences({ active: false })[0]).toMatch(/sessions and grants/);
    expect(updateConsequences({ active: true, admin: true, email: null })).toEqual([]);
  });
});

describe('server problems beside their fields', () => {
  it('drops the field prefix the API writes, and keeps problems of fields the form does not show', () => {
    const split = splitFieldProblems({ email: 'email: must be an email address', username: 'a user named "ada" already exists', locale: 'locale: must be a BCP 47 language tag' }, ['username', 'email']);
    expect(split.fields).toEqual({ email: 'Must be an email address.', username: 'A user named "ada" already exists.' });
    expect(split.rest).toEqual(['Locale: must be a BCP 47 language tag.']);
  });
});

describe('small words', () => {
  it('names users, grants and ids', () => {
    expect(displayName({ givenName: 'Ada', familyName: 'Lovelace' })).toBe('Ada Lovelace');
    expect(displayName({ givenName: null, familyName: 'Lovelace' })).toBe('Lovelace');
    expect(displayName({})).toBe('');
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(grantStatus({ active: true, revokedAt: null, expiresAt: '2030-02-01T00:00:00Z' }, now)).toBe('active');
    expect(grantStatus({ active: false, revokedAt: '2029-12-31T00:00:00Z', expiresAt: '2030-02-01T00:00:00Z' }, now)).toBe('revoked');
    expect(grantStatus({ active: true, revokedAt: null, expiresAt: '2029-12-31T00:00:00Z' }, now)).toBe('expired');
    expect(shortId('0123456789abcdef')).toBe('01234567…');
    expect(shortId('short')).toBe('short');
  });

  it('keeps a notice for the next page until that page drops it', () => {
    leaveNotice('/users/x', 'Created x.');
    expect(peekNotice('/users/x')).toBe('Created x.');
    expect(peekNotice('/users/x')).toBe('Created x.');
    expect(peekNotice('/users')).toBeUndefined();
    dropNotice('/users/x');
    expect(peekNotice('/users/x')).toBeUndefined();
  });
});
