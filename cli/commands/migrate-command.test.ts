import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPostgresUrl, testSchemas } from '../../core/adapters/postgres/postgres-test-database.ts';
import { migrationProvider } from '../../core/adapters/sql/migrations.ts';
import { runTwin } from '../test-support/run-twin.ts';

describe('twin migrate', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-migrate-'));
  const schemas = testSchemas();
  let names: string[];
  beforeAll(async () => {
    names = Object.keys(await migrationProvider.getMigrations());
    await schemas.assertReachable();
  });
  afterAll(async () => {
    await schemas.dropAll();
    rmSync(folder, { recursive: true, force: true });
  });

  it('lists pending migrations, applies them once and reports that it is up to date (SQLite)', async () => {
    const global = ['--data-dir', join(folder, 'data')];
    const before = await runTwin([...global, 'migrate', '--status', '--json']);
    expect(before.code, before.stderr).toBe(0);
    const pending = JSON.parse(before.stdout) as { migrations: { name: string; appliedAt: string | null }[] };
    expect(pending.migrations).toEqual(names.map((name) => ({ name, appliedAt: null })));

    const applied = await runTwin([...global, 'migrate']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`applied ${names.length} migration(s)`);
    expect(applied.stdout).toContain('0004_outbox');

    const again = await runTwin([...global, 'migrate']);
    expect(again.stdout).toMatch(/is up to date/);
    const status = await runTwin([...global, 'migrate', '--status']);
    expect(status.stdout).toMatch(/0004_outbox\s+\d{4}-\d\d-\d\dT/);
    expect(status.stdout).not.toContain('pending');
  });

  it('migrates a PostgreSQL schema, and fails clearly when the server is unreachable', async () => {
    const schema = schemas.next();
    const config = (url: string) => {
      const file = join(folder, `${schema}-${url.length}.yaml`);
      writeFileSync(
        file,
        `stores:\n  metadata:\n    driver: postgres\n    url: ${url}\n    schema: ${schema}\n    poolSize: 2\n`,
      );
      return ['--config', file, '--data-dir', join(folder, 'pg-data')];
    };
    const status = await runTwin([...config(testPostgresUrl), 'migrate', '--status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(
      JSON.parse(status.stdout).migrations.every((entry: { appliedAt: unknown }) => entry.appliedAt === null),
    ).toBe(true);
    const { rows: before } = await schemas.query(
      `select count(*)::int as count from pg_namespace where nspname = '${schema}'`,
    );
    expect(before[0]?.count).toBe(0);
    const applied = await runTwin([...config(testPostgresUrl), 'migrate', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: names });
    const { rows } = await schemas.query(`select count(*)::int as count from "${schema}".kysely_migration`);
    expect(rows[0]?.count).toBe(names.length);

    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const down = await runTwin([...config('postgres://postgres@127.0.0.1:1/test'), 'migrate']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot prepare PostgreSQL schema .*127\.0\.0\.1:1.*ECONNREFUSED/);
  });
});
