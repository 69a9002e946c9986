import { describe, expect, it } from 'vitest';
import { hashPassword, MAX_PASSWORD_LENGTH, needsRehash, verifyPassword } from '../../src/users/password.js';

describe('password hashing (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('treats Unicode-equivalent spellings as the same password (NFKC)', async () => {
    const hash = await hashPassword('ｐａｓｓｗｏｒｄ1');
    expect(await verifyPassword('password1', hash)).toBe(true);
  });

  it('never matches a malformed or weakened stored hash, and refuses huge inputs', async () => {
    const hash = await hashPassword('a password');
    expect(await verifyPassword('a password', 'plaintext')).toBe(false);
    expect(await verifyPassword('a password', hash.replace('ln=15', 'ln=1'))).toBe(false);
    expect(await verifyPassword('x'.repeat(MAX_PASSWORD_LENGTH + 1), hash)).toBe(false);
    expect(needsRehash(hash)).toBe(false);
    expect(needsRehash(hash.replace('ln=15', 'ln=14'))).toBe(true);
  });
});
