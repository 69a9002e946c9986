/**
 * Removing one of the user's own second factors (`removeMyFactor`, the current password again):
 * the same for an authenticator app and a passkey, so both sections of the account page use it.
 */
import { useMutation } from 'urql';
import { graphql } from '../gql';
import type { AccountFactorFragment } from '../gql/graphql';
import { problemOf, type Problem } from '../graphql/problems';
import { twoStepProblems } from './two-step-form';

const RemoveMutation = graphql(`
  mutation AccountRemoveFactor($id: ID!, $currentPassword: String!) {
    removeMyFactor(id: $id, currentPassword: $currentPassword)
  }
`);

export interface RemoveFactorReport {
  setProblem(problem: Problem | undefined): void;
  setStatus(status: string | undefined): void;
  onChanged(): void;
}

/** `remove(factor, currentPassword)`; `factors`: all of the user's, to say when the last one went. */
export function useRemoveFactor(factors: readonly AccountFactorFragment[], report: RemoveFactorReport) {
  const [, remove] = useMutation(RemoveMutation);
  return async (factor: AccountFactorFragment, currentPassword: string) => {
    report.setProblem(undefined);
    report.setStatus(undefined);
    const result = await remove({ id: factor.id, currentPassword });
    if (!result.data?.removeMyFactor) return report.setProblem(twoStepProblems(problemOf(result.error), []).problem);
    report.setStatus(`Removed ${factor.name}.${factors.length === 1 ? ' Signing in asks for your password only.' : ''}`);
    report.onChanged();
  };
}
