/**
 * The order in which test files start: the longest first, whatever their project. The run
 * lasts at least as long as its longest file, and a long file that starts late keeps the
 * machine waiting on it alone at the end; started first, it runs while the short files fill the
 * other workers. (Vitest's own order goes project by project, e2e, integration, unit: the long
 * integration files, the fake-mode suites among them, would start only once every e2e file has.)
 *
 * A file's length is its duration in the previous run (Vitest's results cache). A file not
 * there yet (a new file, a fresh checkout) is estimated from its size, with what one byte of
 * test costs in its project: a line of e2e spawns processes, a line of a unit test does not.
 */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Milliseconds per byte of test file, per project (medians of recorded runs). */
const MS_PER_BYTE: Record<string, number> = { unit: 0.02, integration: 0.5, e2e: 2 };

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const expected = new Map(files.map((spec) => [spec, this.expectedMs(spec)]));
    return [...files].sort((a, b) => expected.get(b)! - expected.get(a)!);
  }

  private expectedMs(spec: TestSpecification): number {
    const name = spec.project.name;
    const recorded = this.ctx.cache.getFileTestResults(`${name}:${relative(this.ctx.config.root, spec.moduleId)}`);
    if (recorded?.duration) return recorded.duration;
    return statSync(spec.moduleId).size * (MS_PER_BYTE[name] ?? MS_PER_BYTE.integration!);
  }
}
