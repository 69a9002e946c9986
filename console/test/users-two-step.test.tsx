/** A user's second factors on their page (users/TwoStepSection.tsx, two-step.ts), rendered to HTML: any kind, "Never", a Remove per row. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FactorsTable } from '../src/pages/users/TwoStepSection';
import { factorKindName, factorRemoved, recoveryCodesLeft } from '../src/pages/users/two-step';

const noop = async () => undefined;
const factor = (id: string, kind: string, name: string, lastUsedAt: string | null) => ({ __typename: 'Factor' as const, id, kind, name, createdAt: '2030-01-01T00:00:00Z', lastUsedAt });

describe('the factors table', () => {
  it('names each kind (one it does not know as the API does), says "Never" for an unused factor, and has a named Remove behind a dialog per row', () => {
    const html = renderToStaticMarkup(
      <FactorsTable factors={[factor('f-1', 'totp', 'Phone', '2030-01-02T00:00:00Z'), factor('f-2', 'PASSKEY', 'Laptop', null), factor('f-3', 'yubiotp', 'Key', null)]} username="ada" last={false} onRemove={noop} />,
    );
    expect(html).toMatch(/role="region" aria-label="Second factors" tabindex="0"/);
    expect(html).toContain('<caption class="visually-hidden">Second factors of ada, oldest first</caption>');
    expect(html).toContain('<td>Authenticator app</td><td>Phone</td>');
    expect(html).toContain('<td>Passkey</td><td>Laptop</td>');
    expect(html).toContain('<td>yubiotp</td><td>Key</td>');
    expect(html.match(/>Never</g)).toHaveLength(2);
    expect(html).toContain('aria-label="Remove authenticator app Phone"');
    expect(html).toContain('aria-label="Remove passkey Laptop"');
    expect(html.match(/<dialog /g)).toHaveLength(3);
    expect(html).not.toContain('recovery codes go too');
  });

  it('warns that the recovery codes go with the last factor', () => {
    const html = renderToStaticMarkup(<FactorsTable factors={[factor('f-1', 'totp', 'Phone', null)]} username="ada" last onRemove={noop} />);
    expect(html).toContain('It is their last one: their recovery codes go too');
  });
});

describe('what the section says', () => {
  it('after a removal, and of the recovery codes left', () => {
    expect(factorKindName('totp')).toBe('Authenticator app');
    expect(factorRemoved({ name: 'Phone' }, 'ada', 1)).toBe("Removed “Phone” from ada's second factors.");
    expect(factorRemoved({ name: 'Phone' }, 'ada', 0)).toMatch(/the last second factor of ada, and their recovery codes/);
    expect(recoveryCodesLeft(0)).toBe('No recovery codes left.');
    expect(recoveryCodesLeft(1)).toBe('1 recovery code left.');
    expect(recoveryCodesLeft(10)).toBe('10 recovery codes left.');
  });
});
