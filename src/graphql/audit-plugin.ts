/**
 * Every GraphQL mutation is an audit event (`graphql.mutation`): who (the token's subject and
 * client, or the address), which root fields, which objects (only arguments that name ids — never
 * inputs, which may hold passwords), and whether it succeeded.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type ValueNode } from 'graphql';
import { audit } from '../audit.js';
import type { GraphQLContext } from './context.js';

/** Arguments that identify what a mutation acts on. */
const ID_ARGUMENTS = new Set(['id', 'userId', 'clientId', 'grantId', 'sessionId']);

export function auditMutationsPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, contextValue, response, request }) {
          if (operation?.operation !== 'mutation') return;
          const fields: string[] = [];
          const targets: Record<string, unknown> = {};
          for (const selection of operation.selectionSet.selections) {
            if (selection.kind !== Kind.FIELD) continue;
            fields.push(selection.name.value);
            for (const arg of selection.arguments ?? []) {
              if (ID_ARGUMENTS.has(arg.name.value)) targets[`${selection.name.value}.${arg.name.value}`] = valueOf(arg.value, request.variables);
            }
          }
          const failed = response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0;
          const caller = contextValue.auth ?? contextValue.upstream;
          audit(
            contextValue.logger,
            'graphql.mutation',
            { outcome: failed ? 'failure' : 'success', actor: caller?.sub, client: caller?.clientId, ip: contextValue.ip, admin: contextValue.auth?.isAdmin ?? false, fields, targets, requestId: contextValue.requestId },
            'GraphQL mutation',
          );
        },
      };
    },
  };
}

function valueOf(node: ValueNode, variables: Record<string, unknown> | undefined): unknown {
  if (node.kind === Kind.VARIABLE) {
    const v = variables?.[node.name.value];
    return typeof v === 'string' ? v.slice(0, 200) : undefined;
  }
  return node.kind === Kind.STRING || node.kind === Kind.INT ? node.value.slice(0, 200) : undefined;
}
