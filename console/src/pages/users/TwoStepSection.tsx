/**
 * A user's two-step sign-in on their page (docs/CONSOLE.md): their second factors of any kind
 * (`User.factors`), each with "Remove" (`removeUserFactor`), the recovery codes left, and "Reset
 * two-step sign-in" (`resetUserFactors`), which removes every factor and recovery code, for
 * someone who lost their phone and their codes. Their sessions stay; once no factor is left,
 * their next sign-in asks for the password only, and they can enrol again.
 */
import { useState } from 'react';
import { useMutation } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Empty, ProblemMessage } from '../../components/Feedback';
import { ScrollTable } from '../../components/ScrollTable';
import { graphql } from '../../gql';
import type { ConsoleUsersTwoStepFragment } from '../../gql/graphql';
import { formatTime, problemOf, type Problem } from '../../graphql/problems';
import { factorKindName, factorRemoved, factorsReset, recoveryCodesLeft } from './two-step';
import { UsersStatus } from './UsersStatus';

export const UsersTwoStep = graphql(`
  fragment ConsoleUsersTwoStep on User {
    factors {
      id
      kind
      name
      createdAt
      lastUsedAt
    }
    recoveryCodesLeft
  }
`);

const ResetFactorsMutation = graphql(`
  mutation ConsoleUsersResetFactors($userId: ID!) {
    resetUserFactors(userId: $userId)
  }
`);

const RemoveFactorMutation = graphql(`
  mutation ConsoleUsersRemoveFactor($userId: ID!, $factorId: ID!) {
    removeUserFactor(userId: $userId, factorId: $factorId)
  }
`);

type Factor = ConsoleUsersTwoStepFragment['factors'][number];

/** What comes back from an action: a problem, or what to say. */
interface Outcome {
  problem?: Problem;
  status?: string;
}

export function TwoStepSection({ user, onChanged }: { user: { id: string; username: string } & ConsoleUsersTwoStepFragment; onChanged(): void }) {
  const [outcome, setOutcome] = useState<Outcome>({});
  const [, resetUserFactors] = useMutation(ResetFactorsMutation);
  const [, removeUserFactor] = useMutation(RemoveFactorMutation);
  const reset = async () => {
    setOutcome({});
    const result = await resetUserFactors({ userId: user.id });
    const removed = result.data?.resetUserFactors;
    if (typeof removed !== 'number') return setOutcome({ problem: problemOf(result.error) });
    setOutcome({ status: factorsReset(removed, user.username) });
    // The answers are scalars, which name no type for the cache to refetch by.
    onChanged();
  };
  const remove = async (factor: Factor) => {
    setOutcome({});
    const result = await removeUserFactor({ userId: user.id, factorId: factor.id });
    if (!result.data?.removeUserFactor) return setOutcome({ problem: problemOf(result.error) });
    setOutcome({ status: factorRemoved(factor, user.username, user.factors.length - 1) });
    onChanged();
  };
  return (
    <section aria-labelledby="users-two-step">
      <h2 id="users-two-step">Two-step sign-in</h2>
      <p className="hint">What they sign in with after their password, oldest first. Removing a factor needs no word from them: check who asks first.</p>
      <ProblemMessage problem={outcome.problem} />
      <UsersStatus message={outcome.status} />
      {user.factors.length === 0 ? (
        <Empty>No second factor: they sign in with their password only.</Empty>
      ) : (
        <>
          <FactorsTable factors={user.factors} username={user.username} last={user.factors.length === 1} onRemove={remove} />
          <p>{recoveryCodesLeft(user.recoveryCodesLeft)}</p>
        </>
      )}
      <p>For a user who lost the device with their authenticator app and their recovery codes:</p>
      <ConfirmButton label="Reset two-step sign-in" title={`Reset the two-step sign-in of ${user.username}?`} confirmLabel="Remove their second factors" onConfirm={reset}>
        <p>Their authenticator apps and recovery codes stop working: their next sign-in asks for the password only, until they enrol again.</p>
      </ConfirmButton>
    </section>
  );
}

export function FactorsTable({ factors, username, last, onRemove }: { factors: readonly Factor[]; username: string; last: boolean; onRemove(factor: Factor): Promise<unknown> }) {
  return (
    <ScrollTable label="Second factors" caption={`Second factors of ${username}, oldest first`}>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Name</th>
          <th scope="col">Added</th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {factors.map((f) => (
          <tr key={f.id}>
            <td>{factorKindName(f.kind)}</td>
            <td>{f.name}</td>
            <td className="users-time">{formatTime(f.createdAt)}</td>
            <td className="users-time">{f.lastUsedAt ? formatTime(f.lastUsedAt) : 'Never'}</td>
            <td>
              <ConfirmButton label="Remove" accessibleName={`Remove ${factorKindName(f.kind).toLowerCase()} ${f.name}`} title={`Remove “${f.name}” from ${username}'s second factors?`} confirmLabel="Remove factor" onConfirm={() => onRemove(f)}>
                <p>It no longer signs them in.{last ? ' It is their last one: their recovery codes go too, and their next sign-in asks for the password only.' : ''}</p>
              </ConfirmButton>
            </td>
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}
