/**
 * The limits on a query's shape (docs/SECURITY.md GQ-03, GQ-04, GQ-07) and how a refused query is
 * told: BAD_USER_INPUT, HTTP 400, a message that names the limit, what the query has, and what to
 * change; never graphql-armor's "Syntax Error: …" (the query is well-formed) and never the
 * internals of the check. Page sizes given as literals are checked here too: graphql-armor
 * multiplies the cost by `first`, so `first: 500` would otherwise read as a cost problem.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { getNamedType, GraphQLError, Kind, type ASTNode, type ASTVisitor, type GraphQLFormattedError, type ValidationContext, type ValidationRule } from 'graphql';
import { PAGE_SIZE, pageSizeMessage } from './page-size.js';

export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxCost: 5000,
  maxTokens: 2000,
  maxDirectives: 50,
} as const;

/** A request refused before execution for its input: its own message and code, and `field` when an argument is at fault. */
export class RequestInputError extends GraphQLError {
  constructor(message: string, options: { nodes?: readonly ASTNode[]; field?: string } = {}) {
    super(message, { nodes: options.nodes, extensions: { code: 'BAD_USER_INPUT', ...(options.field ? { field: options.field } : {}) } });
  }
}

/** What each limit tells a client, given what graphql-armor found (it says, with exposeLimits). */
const MESSAGES = {
  cost: (n?: number) => `query cost ${found(n)}exceeds the limit of ${QUERY_LIMITS.maxCost}; request fewer items (first/last) or fewer fields`,
  depth: (n?: number) => `query depth ${found(n)}exceeds the limit of ${QUERY_LIMITS.maxDepth}; nest fewer selections`,
  aliases: (n?: number) => `query has ${found(n)}aliases, more than the limit of ${QUERY_LIMITS.maxAliases}; use fewer aliases, or several requests`,
  directives: (n?: number) => `query has ${found(n)}directives, more than the limit of ${QUERY_LIMITS.maxDirectives}; use fewer directives`,
};

const found = (n: number | undefined) => (n === undefined ? '' : `${n} `);

/** graphql-armor's callback on a refused query (its own type lives in an undeclared transitive package). */
type RejectCallback = (context: ValidationContext | null, error: GraphQLError) => void;

/** Cost errors wait for the end of validation: a page size out of range explains them (see pageArguments). */
const deferredCost = new WeakMap<ValidationContext, GraphQLError[]>();

/** graphql-armor's refusal, retold. Its message carries what it found ("…, found 9812.5."), rounded up here. */
function retell(describe: (n?: number) => string, deferred = false): RejectCallback {
  return (context, error) => {
    if (!context) return;
    const found = /found (\d+(?:\.\d+)?)/.exec(error.message)?.[1];
    const refusal = new RequestInputError(describe(found === undefined ? undefined : Math.ceil(Number(found))));
    if (!deferred) return context.reportError(refusal);
    deferredCost.set(context, [...(deferredCost.get(context) ?? []), refusal]);
  };
}

/**
 * graphql-armor's rules with our messages, and the page-size rule they depend on: the two are
 * handed out together, since a cost error is reported only by pageArguments.
 */
export function queryLimitRules(): { validationRules: ValidationRule[]; /** Apollo plugins, typed against Apollo's CommonJS declarations: cast at the use. */ plugins: unknown[] } {
  const own = { exposeLimits: true, propagateOnRejection: false };
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, flattenFragments: true, ...own, onReject: [retell(MESSAGES.depth)] },
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...own, onReject: [retell(MESSAGES.aliases)] },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ...own, onReject: [retell(MESSAGES.cost, true)] },
    // Tokens are limited by graphql-js's parser itself (Apollo's parseOptions, see tokenLimit
    // below): armor's plugin throws from a hook, which Apollo answers with a 500.
    maxTokens: { enabled: false },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...own, onReject: [retell(MESSAGES.directives)] },
    blockFieldSuggestion: { enabled: true },
  }).protect();
  return { validationRules: [...armor.validationRules, pageArguments], plugins: armor.plugins };
}

/**
 * `first`/`last` of a connection given as a literal must be a page size we serve (PAGE_SIZE);
 * the same check runs in the resolvers for values from variables. At the end of the document,
 * the deferred cost errors are reported unless a page size was out of range.
 */
function pageArguments(context: ValidationContext): ASTVisitor {
  let outOfRange = false;
  return {
    Argument(node) {
      const argument = context.getArgument();
      const field = context.getFieldDef();
      if (!argument || !field || !['first', 'last'].includes(argument.name) || !getNamedType(field.type).name.endsWith('Connection')) return;
      if (node.value.kind !== Kind.INT) return;
      const value = Number(node.value.value);
      if (value >= PAGE_SIZE.min && value <= PAGE_SIZE.max) return;
      outOfRange = true;
      context.reportError(new RequestInputError(pageSizeMessage(argument.name, value), { nodes: [node], field: argument.name }));
    },
    Document: {
      leave() {
        const costs = deferredCost.get(context) ?? [];
        deferredCost.delete(context);
        if (!outOfRange) for (const error of costs) context.reportError(error);
      },
    },
  };
}

/** graphql-js's parser refusing a long document: "Syntax Error: Document contains more that 2000 tokens…". */
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:an|at) \d+ tokens/;

/**
 * The client's view of a request refused for its input before execution, or undefined for any
 * other error. Apollo files validation and parse errors under its own codes
 * (GRAPHQL_VALIDATION_FAILED, GRAPHQL_PARSE_FAILED); ours keep BAD_USER_INPUT and their message.
 */
export function requestInputError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const original = error.originalError;
  if (original instanceof RequestInputError) {
    return { message: original.message, locations: formatted.locations, extensions: { ...original.extensions } };
  }
  if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && TOKEN_LIMIT.test(formatted.message)) {
    return { message: `query has more tokens than the limit of ${QUERY_LIMITS.maxTokens}; send a shorter query (fewer fields, arguments or aliases)`, extensions: { code: 'BAD_USER_INPUT' } };
  }
  return undefined;
}
