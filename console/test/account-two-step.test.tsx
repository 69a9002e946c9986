/**
 * The account page's two-step sign-in (console/src/account/TwoStepSection.tsx, two-step-form.ts):
 * the QR code as a data: image the page's CSP allows, what is checked before sending, the
 * server's refusals beside their fields, the recovery codes shown with a copy button, and each
 * factor with a remove button naming it.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactNode } from 'react';
import { Client, Provider } from 'urql';
import { describe, expect, it } from 'vitest';
import { RecoveryCodes, TwoStepSection } from '../src/account/TwoStepSection';
import { emptyEnrolForm, groupedSecret, qrImageSource, recoveryCodesText, twoStepProblems, typedCode, validateCodeStep, validatePasswordStep } from '../src/account/two-step-form';

const client = new Client({ url: 'https://id.example.com/graphql', exchanges: [] });
const render = (node: ReactNode) => renderToStaticMarkup(<Provider value={client}>{node}</Provider>);
const noop = () => undefined;
const problem = (fields: Record<string, string>, extra: Record<string, unknown> = {}) => ({ fields, offline: false, sessionEnded: false, ...extra });

describe('the two-step form', () => {
  it('shows the server\'s SVG as a data: image, never as markup of the page', () => {
    const src = qrImageSource('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1"/></svg>');
    expect(src.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    expect(src).not.toMatch(/[<>"]/);
    expect(decodeURIComponent(src.slice(src.indexOf(',') + 1))).toContain('<path d="M0 0h1"/>');
  });

  it('groups the key by four for typing, and takes codes with the spaces people copy', () => {
    expect(groupedSecret('JBSWY3DPEHPK3PXPJBSWY3DP')).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP');
    expect(typedCode(' 123 456 ')).toBe('123456');
  });

  it('asks for the password, a 6-digit code and a name before anything is sent', () => {
    expect(validatePasswordStep({ currentPassword: '' })).toEqual({ currentPassword: 'Enter your current password.' });
    expect(validatePasswordStep({ currentPassword: 'x' })).toEqual({});
    expect(validateCodeStep({ code: '12345', name: 'Phone' })).toEqual({ code: 'Enter the 6-digit code the app shows.' });
    expect(validateCodeStep({ code: '123 456', name: '  ' })).toEqual({ name: 'Give it a name of 1 to 100 characters.' });
    expect(validateCodeStep({ code: '123456', name: emptyEnrolForm.name })).toEqual({});
  });

  it('puts a wrong password or code beside its field, too many wrong passwords above the form with the wait', () => {
    expect(twoStepProblems(problem({ currentPassword: 'incorrect password' }), ['currentPassword']).fields).toEqual({ currentPassword: 'This is not your current password.' });
    expect(twoStepProblems(problem({ code: 'that code is not right' }), ['code', 'name']).fields).toEqual({ code: 'That code is not right. Type the code the app shows now.' });
    expect(twoStepProblems(problem({}, { retryAfter: 120 }), ['currentPassword']).problem?.message).toBe('Too many wrong passwords. Try again in 2 minutes.');
    expect(twoStepProblems(problem({}, { message: 'enrolment not found (it may have expired: start again)' }), ['code']).problem?.message).toContain('start again');
  });

  it('copies the recovery codes one a line', () => {
    expect(recoveryCodesText(['AAAA-BBBB-CCCC-DDDD', 'EEEE-FFFF-GGGG-HHHH'])).toBe('AAAA-BBBB-CCCC-DDDD\nEEEE-FFFF-GGGG-HHHH\n');
  });
});

describe('the two-step section', () => {
  it('without a factor, offers to add an authenticator app and no new recovery codes', () => {
    const html = render(<TwoStepSection factors={[]} username="ann" onChanged={noop} />);
    expect(html).toContain('<h2 id="account-two-step">Two-step sign-in</h2>');
    expect(html).toContain('No authenticator app yet.');
    expect(html).toContain('Add an authenticator app');
    expect(html).not.toContain('New recovery codes');
  });

  it('lists each factor with a remove button naming it, which asks the current password', () => {
    const html = render(
      <TwoStepSection factors={[{ id: 'f1', kind: 'totp', name: 'Pixel', createdAt: '2030-01-01T10:00:00Z', lastUsedAt: null }]} username="ann" onChanged={noop} />,
    );
    expect(html).toContain('<ul class="account-list" aria-label="Authenticator apps">');
    expect(html).toContain('aria-label="Remove Pixel"');
    expect(html).toContain('Remove Pixel?</h2>');
    expect(html).toMatch(/<dialog[^]*type="password" name="currentPassword" autoComplete="current-password"/i);
    expect(html).toContain('Never');
    expect(html).toContain('New recovery codes');
  });

  it('shows the recovery codes once with a copy button', () => {
    const html = render(<RecoveryCodes codes={['AAAA-BBBB-CCCC-DDDD', 'EEEE-FFFF-GGGG-HHHH']} onDone={noop} />);
    expect(html).toContain('<ul class="account-codes" aria-label="Recovery codes"><li><code>AAAA-BBBB-CCCC-DDDD</code></li>');
    expect(html).toContain('Copy the codes');
    expect(html).toContain('they are shown only now');
  });
});
