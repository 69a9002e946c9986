/** Inviting someone from the Users page (console/src/pages/users/InviteUser.tsx, invite.ts). */
import { renderToStaticMarkup } from 'react-dom/server';
import { Client, Provider } from 'urql';
import { describe, expect, it } from 'vitest';
import { InviteUserSection } from '../src/pages/users/InviteUser';
import { invitationSent, validateInvite } from '../src/pages/users/invite';
import { factorsReset } from '../src/pages/users/two-step';

describe('inviting someone', () => {
  it('asks for an address before asking the server', () => {
    expect(validateInvite('  ')).toEqual({ email: 'Enter the email address to invite.' });
    expect(validateInvite('ada')).toEqual({ email: 'Enter an email address, such as ada@example.com.' });
    expect(validateInvite(' ada@example.com ')).toEqual({});
  });

  it('says where the invitation went and until when its link works', () => {
    const format = (iso: string) => `[${iso}]`;
    expect(invitationSent({ email: 'ada@example.com', admin: false, expiresAt: '2030-01-08T00:00:00Z' }, format)).toBe('Invitation sent to ada@example.com, valid until [2030-01-08T00:00:00Z].');
    expect(invitationSent({ email: 'root@example.com', admin: true, expiresAt: '2030-01-08T00:00:00Z' }, format)).toBe('Invitation sent to root@example.com (administrator), valid until [2030-01-08T00:00:00Z].');
  });

  it('renders a labelled email field, the admin checkbox and the send button', () => {
    const client = new Client({ url: 'http://127.0.0.1:9/graphql', exchanges: [] });
    const html = renderToStaticMarkup(
      <Provider value={client}>
        <InviteUserSection onCancel={() => undefined} onSent={() => undefined} />
      </Provider>,
    );
    expect(html).toContain('<h2 id="users-invite-title">Invite someone</h2>');
    expect(html).toMatch(/<label for="[^"]+">Email<\/label><input id="[^"]+" type="email" name="invite-email" required=""/);
    expect(html).toContain('Administrator');
    expect(html).toContain('>Send the invitation</button>');
    expect(html).not.toContain('aria-invalid');
  });
});

describe('factorsReset', () => {
  it('says what was removed, and when there was nothing', () => {
    expect(factorsReset(0, 'ada')).toBe('ada had no second factor: nothing to remove.');
    expect(factorsReset(1, 'ada')).toBe('Removed the second factor and the recovery codes of ada: their next sign-in asks for the password only.');
    expect(factorsReset(2, 'ada')).toMatch(/^Removed 2 second factors and the recovery codes of ada/);
  });
});
