/**
 * The audit event types the API knows, from the service's own list (src/audit-events.ts, plain
 * data that the bundle takes in), as the audit filter's choices.
 */
import { AUDIT_EVENTS } from '../../../../src/audit-events';

export const AUDIT_EVENT_TYPES: readonly string[] = AUDIT_EVENTS;

/** The types grouped by what comes before the dot (`login`, `token`…), in the list's order. */
export function groupedTypes(types: readonly string[] = AUDIT_EVENT_TYPES): { group: string; types: string[] }[] {
  const groups: { group: string; types: string[] }[] = [];
  for (const t of types) {
    const group = t.includes('.') ? t.slice(0, t.indexOf('.')) : t;
    const found = groups.find((g) => g.group === group);
    if (found) found.types.push(t);
    else groups.push({ group, types: [t] });
  }
  return groups;
}
