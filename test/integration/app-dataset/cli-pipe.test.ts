import { describe, expect, it } from 'vitest';
import { startCli } from './cli';

describe('CLI output into a pipe its reader closed', () => {
  it('ends quietly, as `focus-station ... | head` expects, instead of an EPIPE stack trace', async () => {
    const { child, done } = startCli(['predict', '--help']);
    // Close our end before the child has started (node takes far longer to boot), so its help text hits a closed pipe.
    child.stdout!.destroy();
    const result = await done;
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(result.code).toBe(0);
  });
});
