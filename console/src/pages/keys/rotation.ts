/**
 * What a rotation did, in words, from the key status before and after `rotateKeys` (which
 * returns every family's status, src/graphql/grants-resolver.ts). A scheduled rotation publishes
 * a successor that signs after KEY_PREPUBLISH_TIME, unless one is already pending; `now: true`
 * makes the pending successor, or a new key, sign at once and retires the old key, which stays
 * published until the tokens it signed have expired (src/keys/lifecycle.ts).
 */
import { shortKid } from './timeline';

export interface FamilyState {
  family: string;
  activeKid: string | null;
  keys: readonly { kid: string; state: string; activatesAt: string; deletesAt?: string | null }[];
}

export function describeRotation(before: readonly FamilyState[], after: readonly FamilyState[], now: boolean, format: (iso: string | null | undefined) => string): string[] {
  return after.map((f) => {
    const was = before.find((b) => b.family === f.family);
    const known = new Set(was?.keys.map((k) => k.kid) ?? []);
    const added = f.keys.filter((k) => !known.has(k.kid));
    const pending = f.keys.filter((k) => k.state === 'pending').sort((a, b) => Date.parse(a.activatesAt) - Date.parse(b.activatesAt));
    const name = `${f.family}:`;
    if (now) {
      if (!f.activeKid || f.activeKid === was?.activeKid) return `${name} nothing changed.`;
      const old = was?.activeKid ? f.keys.find((k) => k.kid === was.activeKid) : undefined;
      const retired = old ? ` Key ${shortKid(old.kid)} is retired; it stays in the JWKS until ${format(old.deletesAt)}, so that tokens it signed still verify.` : '';
      return `${name} key ${shortKid(f.activeKid)} signs now${added.some((k) => k.kid === f.activeKid) ? ' (new)' : ' (it was pending)'}.${retired}`;
    }
    const fresh = added.find((k) => k.state === 'pending');
    if (fresh) return `${name} new key ${shortKid(fresh.kid)} published; it signs from ${format(fresh.activatesAt)}.`;
    if (pending[0]) return `${name} key ${shortKid(pending[0].kid)} was already waiting and signs from ${format(pending[0].activatesAt)}; nothing changed.`;
    if (added[0]) return `${name} new key ${shortKid(added[0].kid)} published.`;
    return `${name} nothing changed.`;
  });
}
