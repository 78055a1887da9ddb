import { describe, expect, it } from 'vitest';
import { runTailor } from './collector-process';


describe('cluster mode on the command line: wrong invocations say what to do', () => {
  it('explains a missing server, an unknown mode and flags that belong to cluster mode', async () => {
    const [noPostgres, noNats, badMode, strayFlag, workers, badPartitions] = await Promise.all([
      runTailor(['processor', '--nats', 'nats://127.0.0.1:4222']),
      runTailor(['collector', '--mode', 'cluster', '--write-key', 'wk_test_0123456789', '--postgres', 'postgres://p/db']),
      runTailor(['collector', '--mode', 'swarm', '--write-key', 'wk_test_0123456789']),
      runTailor(['collector', '--write-key', 'wk_test_0123456789', '--postgres', 'postgres://p/db']),
      runTailor(['collector', '--mode', 'cluster', '--workers', '2', '--write-key', 'wk_test_0123456789', '--nats', 'nats://127.0.0.1:4222', '--postgres', 'postgres://p/db']),
      runTailor(['processor', '--nats', 'nats://127.0.0.1:4222', '--postgres', 'postgres://p/db', '--partitions', 'many']),
    ]);
    expect(noPostgres).toMatchObject({ code: 2 });
    expect(noPostgres.stderr).toMatch(/cluster mode needs --postgres postgres:\/\/user@host:5432\/db/);
    expect(noNats.stderr).toMatch(/cluster mode needs --nats nats:\/\/host:4222/);
    expect(badMode.stderr).toMatch(/--mode takes "single" \(default\) or "cluster", got "swarm"/);
    expect(strayFlag.stderr).toMatch(/--postgres and --redis belong to cluster mode: add --mode cluster/);
    expect(workers.stderr).toMatch(/--workers does not apply to --mode cluster/);
    expect(badPartitions.stderr).toMatch(/--partitions takes a whole number of partitions/);
    for (const run of [noNats, badMode, strayFlag, workers, badPartitions]) expect(run.code).toBe(2);
  }, 60_000);
});
