/**
 * A command in a real pseudo-terminal (python3's `pty` module: Node has none of its own), typed
 * into like a person would: bytes written with `type` arrive as keys (`\x03` is Ctrl-C, `\r`
 * Enter), and everything the terminal shows comes back in `output()` (the echo of typed keys
 * included, when the terminal echoes). The helper prints the session's pid first, on its own
 * stderr (the command's stderr goes through the terminal), and exits with the command's status.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cliEnv, finished, ROOT, type CliResult } from './cli.js';

/** Copies keys in and the screen out until the command exits; exits with its status. */
const PTY_HELPER = String.raw`
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stderr.write(f"{pid}\n"); sys.stderr.flush()
stdin = sys.stdin.fileno()
reading = True
while True:
    ready, _, _ = select.select([fd] + ([stdin] if reading else []), [], [], 0.1)
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        sys.stdout.buffer.write(data); sys.stdout.flush()
    if reading and stdin in ready:
        typed = os.read(stdin, 1024)
        if typed:
            os.write(fd, typed)
        else:
            reading = False
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

export const hasPty = spawnSync('python3', ['-c', 'import pty, os; os.waitstatus_to_exitcode']).status === 0;

export interface Terminal {
  /** The helper process: killing it closes the terminal (SIGHUP for the session). */
  child: ChildProcess;
  /** The pid of the terminal's session leader (the command), also its process group. */
  session: Promise<number>;
  output(): string;
  type(keys: string): void;
  /** Resolves once `text` is on the screen (after `from`, an earlier length of the output). */
  waitFor(text: string, from?: number, timeoutMs?: number): Promise<void>;
  exit: Promise<CliResult>;
  kill(): void;
}

/** Runs `argv` as the foreground job of a fresh terminal, in the repository, with `env` added to a clean environment. */
export function inTerminal(argv: string[], env: Record<string, string | undefined> = {}): Terminal {
  const child = spawn('python3', ['-c', PTY_HELPER, ...argv], { cwd: ROOT, env: cliEnv({ TERM: 'dumb', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // The helper's stderr: the session pid on its first line, then only python's own failures.
  let pending: string | null = '';
  let resolveSession!: (pid: number) => void;
  const session = new Promise<number>((resolve) => (resolveSession = resolve));
  child.stderr.on('data', (d: Buffer) => {
    if (pending === null) return void (out += d.toString());
    pending += d.toString();
    const newline = pending.indexOf('\n');
    if (newline < 0) return;
    resolveSession(Number(pending.slice(0, newline)));
    out += pending.slice(newline + 1);
    pending = null;
  });
  const exit = finished(child);
  return {
    child,
    session,
    output: () => out,
    type: (keys) => void child.stdin.write(keys),
    async waitFor(text, from = 0, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!out.slice(from).includes(text)) {
        if (child.exitCode !== null || Date.now() > until) throw new Error(`"${text}" never appeared; the terminal showed:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    exit,
    kill: () => child.kill('SIGKILL'),
  };
}
