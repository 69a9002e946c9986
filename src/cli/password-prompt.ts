/**
 * The password of `--password-stdin`. From a pipe or a file: standard input, less one trailing
 * newline. From a terminal: a prompt on stderr (stdout is for results), typed unseen, asked
 * twice and refused when the two differ, since nobody can check what they typed.
 *
 * The terminal is put in raw mode before the prompt appears, so nothing typed after it is ever
 * echoed; raw mode also turns Ctrl-C and Ctrl-D into plain bytes, read here: Ctrl-C aborts with
 * the status of an interrupt (130) and Ctrl-D or an empty line aborts, the terminal restored
 * first in every case, a stop signal (SIGTERM, SIGHUP) included.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ReadStream } from 'node:tty';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './context.js';
import { interruptedExitCode, onStopSignals } from './stop-signals.js';

export interface PasswordPromptOptions {
  /** Where the password comes from (default standard input). */
  input?: NodeJS.ReadStream;
  /** Where the prompts go when `input` is a terminal (default standard error). */
  output?: NodeJS.WritableStream;
}

export async function readPasswordInput(options: PasswordPromptOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin;
  if (input.isTTY) return promptTwice(input as ReadStream, options.output ?? process.stderr);
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  // One trailing newline is the end of the line, not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function promptTwice(input: ReadStream, output: NodeJS.WritableStream): Promise<string> {
  const keys = new TerminalKeys(input);
  try {
    const first = await readHidden(keys, output, 'Password: ');
    const again = await readHidden(keys, output, 'Repeat password: ');
    if (first !== again) throw new CliError('the two passwords differ: nothing changed', 'ERR_PASSWORD_MISMATCH', EXIT_USAGE);
    return first;
  } finally {
    keys.close();
  }
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_U = '\x15'; // erases the line, as in a terminal's own line editing
const BACKSPACE = new Set(['\x7f', '\b']);
const ESC = '\x1b';

async function readHidden(keys: TerminalKeys, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  output.write(prompt);
  let typed: string[] = []; // characters (code points), so a backspace removes a whole "é"
  for (;;) {
    const key = await keys.next();
    if (ENTER.has(key)) {
      output.write('\n');
      if (typed.length === 0) throw new CliError('no password typed: nothing changed', 'ERR_ABORTED', EXIT_FAILURE);
      return typed.join('');
    }
    if (key === CTRL_C) {
      output.write('\n');
      throw new CliError('interrupted', 'ERR_INTERRUPTED', interruptedExitCode('SIGINT'));
    }
    if (key === CTRL_D) {
      output.write('\n');
      throw new CliError('no password typed: nothing changed', 'ERR_ABORTED', EXIT_FAILURE);
    }
    if (BACKSPACE.has(key)) typed.pop();
    else if (key === CTRL_U) typed = [];
    else if (key === ESC) keys.skipEscapeSequence();
    else if (key >= ' ') typed.push(key);
  }
}

/** Characters typed at a terminal in raw mode, one at a time; `close` restores the terminal. */
class TerminalKeys {
  private readonly pending: string[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private wake: (() => void) | undefined;
  private failure: CliError | undefined;
  private readonly stopListening: () => void;
  private readonly onData = (chunk: Buffer | string) => {
    this.pending.push(...Array.from(typeof chunk === 'string' ? chunk : this.decoder.write(chunk)));
    this.wake?.();
  };
  private readonly onEnd = () => this.fail(new CliError('no password typed: nothing changed', 'ERR_ABORTED', EXIT_FAILURE));

  constructor(private readonly input: ReadStream) {
    input.setRawMode(true);
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.resume();
    // Raw mode is the terminal's state, not ours: put it back before any stop signal ends us.
    this.stopListening = onStopSignals((signal) => this.fail(new CliError('interrupted', 'ERR_INTERRUPTED', interruptedExitCode(signal))));
  }

  async next(): Promise<string> {
    for (;;) {
      if (this.failure) throw this.failure;
      const key = this.pending.shift();
      if (key !== undefined) return key;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /**
   * Drops the rest of an escape sequence (an arrow or function key: ESC [ … final byte, or
   * ESC O x), which a terminal sends in one piece; a lone Escape press drops nothing more.
   */
  skipEscapeSequence(): void {
    const kind = this.pending[0];
    if (kind === 'O') {
      this.pending.splice(0, 2);
    } else if (kind === '[') {
      this.pending.shift();
      while (this.pending.length && !/^[\x40-\x7e]$/.test(this.pending[0]!)) this.pending.shift();
      this.pending.shift();
    }
  }

  close(): void {
    this.stopListening();
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.setRawMode(false);
    this.input.pause();
  }

  private fail(error: CliError): void {
    this.failure ??= error;
    this.wake?.();
  }
}
