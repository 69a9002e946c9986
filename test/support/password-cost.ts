/**
 * Setup file of the projects that run the service in-process: passwords are hashed at the lowest
 * cost the service accepts (scrypt N = 2^10, 1 MiB) instead of N = 2^15 (32 MiB, about 100 ms
 * of a core each). Every user a test creates and every sign-in runs scrypt, several hundred
 * times a run: at full cost, a sixth of the CPU of the in-process suites, on a run that is
 * bound by its two cores. The hash stays the same code, only its work factor changes, and
 * hashes carry their own parameters, so those made by the real command (the e2e CLI, at full
 * cost) still verify here.
 *
 * The cost itself is tested where it is what matters: the stored parameters and the refusal
 * of weaker ones in test/unit/password.test.ts (which does not run this file), and the files
 * below, which keep the real cost: timing equality of the login paths (SE-05), and bursts of
 * parallel logins against the login throttle and the double-submit guards, whose race windows
 * the hash holds open. (Those are in the integration project, where each test file has its own
 * copy of the service's modules; the e2e project, whose files share theirs, has none.)
 */
import { expect } from 'vitest';
import { SCRYPT_PARAMS } from '../../src/users/password.js';

const FULL_COST = ['test/security/login.test.ts', 'test/security/throttles.test.ts', 'test/security/concurrency.test.ts'];

/** The smallest `ln` that `verifyPassword` accepts. */
const LOWEST_LN = 10;

/** The service's own cost, read before anything lowers it. */
const FULL_LN = ((globalThis as { fullScryptLn?: number }).fullScryptLn ??= SCRYPT_PARAMS.ln);

// Set for every file, both ways: a worker that runs files one after another in one module
// graph (a project without isolation) must not carry one file's cost into the next.
const testPath = expect.getState().testPath ?? '';
(SCRYPT_PARAMS as { ln: number }).ln = FULL_COST.some((file) => testPath.endsWith(file)) ? FULL_LN : LOWEST_LN;
