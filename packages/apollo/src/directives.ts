/**
 * `@authenticated` and `@requiresScopes(scopes: [[String!]!]!)`, as in Apollo Federation, and
 * `@requiresAcr(values: [String!]!, maxAge: Int)` for step-up authentication (RFC 9470): put
 * them on fields, objects, interfaces, scalars or enums of any schema — SDL-first (add
 * `authDirectivesTypeDefs`) or code-first (type-graphql: `@Directive('@authenticated')`, and the
 * directive definitions in `buildSchema({ directives: authDirectives })`). `requiresScopes` is
 * an OR of ANDs: `[["read"], ["admin", "write"]]` means read, or both admin and write.
 * `requiresAcr` needs a token whose `acr` is one of `values` (and, with `maxAge`, whose
 * `auth_time` is at most that many seconds ago); else the refusal is RFC 9470 §3's challenge.
 */
import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  TypeInfo,
  getNamedType,
  separateOperations,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import { BearerError, unmetUserAuthentication, type StepUpRequirement, type UserAuthentication } from '@jwt-oidc/resource';

const LOCATIONS = [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT, DirectiveLocation.INTERFACE, DirectiveLocation.SCALAR, DirectiveLocation.ENUM];

export const authenticatedDirective = new GraphQLDirective({
  name: 'authenticated',
  description: 'Needs a valid access token.',
  locations: LOCATIONS,
});

export const requiresScopesDirective = new GraphQLDirective({
  name: 'requiresScopes',
  description: 'Needs an access token with the scopes of one of the lists.',
  locations: LOCATIONS,
  args: { scopes: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))))) } },
});

export const requiresAcrDirective = new GraphQLDirective({
  name: 'requiresAcr',
  description: 'Needs an access token of a user who authenticated with one of these acr values (RFC 9470), at most maxAge seconds ago.',
  locations: LOCATIONS,
  args: { values: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) }, maxAge: { type: GraphQLInt } },
});

/** For code-first schemas: `buildSchema({ directives: [...authDirectives] })`. */
export const authDirectives = [authenticatedDirective, requiresScopesDirective, requiresAcrDirective] as const;

/** For SDL-first schemas: add to your type definitions. */
export const authDirectivesTypeDefs = /* GraphQL */ `
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresAcr(values: [String!]!, maxAge: Int) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
`;

export interface Requirements {
  /** Some selected field (or its type) needs a token. */
  authenticated: boolean;
  /** Every entry must be satisfied; each is an OR of AND-sets of scopes. */
  scopes: string[][][];
  /** Every entry must be met: one of its acr values, within its max age (RFC 9470). */
  acr: StepUpRequirement[];
}

/**
 * Apollo Server hands the same DocumentNode to every request with the same query text (its
 * document cache), so the walk below runs once per (schema, document, operation), not per request.
 */
const memo = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Requirements>>>();

/** What the fields an operation selects require, read from the schema's directives. */
export function requirementsOf(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Requirements {
  let bySchema = memo.get(schema);
  if (!bySchema) memo.set(schema, (bySchema = new WeakMap()));
  let byOperation = bySchema.get(document);
  if (!byOperation) bySchema.set(document, (byOperation = new Map()));
  const key = operationName ?? '';
  let found = byOperation.get(key);
  if (!found) byOperation.set(key, (found = walk(schema, document, operationName)));
  return found;
}

function walk(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Requirements {
  const found: Requirements = { authenticated: false, scopes: [], acr: [] };
  const typeInfo = new TypeInfo(schema);
  const seen = new Set<string>();
  const note = (node: { astNode?: { directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: ValueNode }[] }[] } | null } | undefined, key: string) => {
    if (!node?.astNode?.directives || seen.has(key)) return;
    seen.add(key);
    for (const d of node.astNode.directives) {
      if (d.name.value === 'authenticated') found.authenticated = true;
      if (d.name.value === 'requiresScopes') {
        found.authenticated = true;
        const arg = d.arguments?.find((a) => a.name.value === 'scopes')?.value;
        found.scopes.push(scopeSets(arg));
      }
      if (d.name.value === 'requiresAcr') {
        found.authenticated = true;
        found.acr.push(acrRequirement(d.arguments));
      }
    }
  };
  // Only the selected operation and the fragments it spreads, wherever they stand in the document
  // (a fragment before the operation must count too).
  const target = operationName ? (separateOperations(document)[operationName] ?? document) : document;
  visit(
    target,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field: GraphQLField<unknown, unknown> | null | undefined = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (field && parent) note(field, `${parent.name}.${field.name}`);
        if (parent) note(parent as GraphQLNamedType, parent.name);
        // The type a field returns carries its own requirement (a protected scalar, enum, object).
        if (field) note(getNamedType(field.type) as GraphQLNamedType, getNamedType(field.type).name);
      },
    }),
  );
  return found;
}

function scopeSets(value: ValueNode | undefined): string[][] {
  if (value?.kind !== 'ListValue') return [];
  return value.values.map((inner) => (inner.kind === 'ListValue' ? inner.values.flatMap((v) => (v.kind === 'StringValue' ? [v.value] : [])) : []));
}

function acrRequirement(args: readonly { name: { value: string }; value: ValueNode }[] | undefined): StepUpRequirement {
  const values = args?.find((a) => a.name.value === 'values')?.value;
  const maxAge = args?.find((a) => a.name.value === 'maxAge')?.value;
  return {
    acrValues: values?.kind === 'ListValue' ? values.values.flatMap((v) => (v.kind === 'StringValue' ? [v.value] : [])) : values?.kind === 'StringValue' ? [values.value] : [],
    ...(maxAge?.kind === 'IntValue' ? { maxAge: Number(maxAge.value) } : {}),
  };
}

/** The caller as the checks see it: its scopes and how the user authenticated. */
export type Caller = { readonly scopes: readonly string[] } & UserAuthentication;

export interface Demands {
  /** Every operation needs a token (the plugin's `requireAuth`). */
  requireAuth: boolean;
  /** Every operation needs this authentication of the user (the plugin's `acr`). */
  acr?: StepUpRequirement;
  /** The clock `maxAge` is measured with (ms since the epoch). */
  now?: () => number;
}

/**
 * What `caller` (undefined: anonymous) lacks for `needs`: `missing` without a token where one
 * is needed (also for every operation with `requireAuth` or `acr`), `insufficient_scope` naming
 * every alternative that would do (RFC 6750 §3.1), `insufficient_user_authentication` naming
 * the acr values and max age that would do (RFC 9470 §3); undefined when nothing is missing.
 */
export function unmet(needs: Requirements, caller: Caller | undefined, demands: Demands): BearerError | undefined {
  if (!caller) return demands.requireAuth || demands.acr || needs.authenticated ? new BearerError('missing', 'authentication is required') : undefined;
  const scopes = caller.scopes;
  for (const alternatives of needs.scopes) {
    if (!alternatives.some((all) => all.every((s) => scopes.includes(s)))) {
      return new BearerError('insufficient_scope', 'the access token lacks a required scope', alternatives.map((a) => a.join(' ')).join(' '), alternatives);
    }
  }
  for (const required of demands.acr ? [demands.acr, ...needs.acr] : needs.acr) {
    const missing = unmetUserAuthentication(caller, required, demands.now);
    if (missing) return missing;
  }
  return undefined;
}
