/**
 * "Reset two-step sign-in" on a user's page: removes every second factor and recovery code of the
 * user (`resetUserFactors`), for someone who lost their phone and their codes. Their sessions
 * stay; their next sign-in asks for the password only, and they can enrol again.
 */
import { useState } from 'react';
import { useMutation } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ProblemMessage } from '../../components/Feedback';
import { graphql } from '../../gql';
import { problemOf, type Problem } from '../../graphql/problems';
import { factorsReset } from './two-step';
import { UsersStatus } from './UsersStatus';

const ResetFactorsMutation = graphql(`
  mutation ConsoleUsersResetFactors($userId: ID!) {
    resetUserFactors(userId: $userId)
  }
`);

export function TwoStepSection({ user }: { user: { id: string; username: string } }) {
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState<string>();
  const [, resetUserFactors] = useMutation(ResetFactorsMutation);
  const confirm = async () => {
    setProblem(undefined);
    setStatus(undefined);
    const result = await resetUserFactors({ userId: user.id });
    const removed = result.data?.resetUserFactors;
    if (typeof removed !== 'number') return setProblem(problemOf(result.error));
    setStatus(factorsReset(removed, user.username));
  };
  return (
    <section aria-labelledby="users-two-step">
      <h2 id="users-two-step">Two-step sign-in</h2>
      <p>For a user who lost the device with their authenticator app and their recovery codes.</p>
      <ProblemMessage problem={problem} />
      <ConfirmButton label="Reset two-step sign-in" title={`Reset the two-step sign-in of ${user.username}?`} confirmLabel="Remove their second factors" onConfirm={confirm}>
        <p>Their authenticator apps and recovery codes stop working: their next sign-in asks for the password only, until they enrol again.</p>
      </ConfirmButton>
      <UsersStatus message={status} />
    </section>
  );
}
