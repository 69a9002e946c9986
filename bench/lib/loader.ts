/** The orchestrator's side of the load process: fork it once, send it jobs one at a time. */
import { fork, type ChildProcess } from 'node:child_process';
import type { FlowResult, HttpJob, HttpResult, InstancesJob, LoadJob, LoadResult, RotationJob, WsJob } from './load-types.js';
import { ROOT, TS_NODE_ARGS } from './servers.js';

export class Loader {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();

  constructor() {
    this.child = fork('bench/load.ts', [], { cwd: ROOT, execArgv: TS_NODE_ARGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (msg: { id: number; result?: LoadResult; error?: string }) => {
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.error !== undefined) w?.reject(new Error(`load process: ${msg.error}`));
      else w?.resolve(msg.result!);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the load process exited (${code})`));
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  run(job: HttpJob | WsJob): Promise<HttpResult>;
  run(job: RotationJob | InstancesJob): Promise<FlowResult>;
  run(job: LoadJob): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, job });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
