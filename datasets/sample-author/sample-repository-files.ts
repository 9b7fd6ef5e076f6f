/**
 * The files of the sample author's tiny git repository, commit by commit. Kept apart from the git
 * plumbing in `make-sample-repo.ts` so the text (the part that carries the author's voice) reads as
 * text. Everything here is deterministic: same bytes, same commit ids, on every machine.
 */
export type SampleCommit = {
  message: string;
  /** ISO date used for both author and committer, so commit ids are stable. */
  date: string;
  files: Record<string, string | Uint8Array>;
};

const readme = `# tiny-feature-store

A feature store small enough to read in an evening. I wrote it to explain feature stores to my
team, and kept it because it turned out to be a good test bed.

It is not a product. It is a contract you can read:

- **One definition per feature.** A \`FeatureView\` names an entity, a set of features and the
  function that computes them. Nothing else is allowed to compute those features.
- **Point-in-time reads.** Training asks for features *as they were* at each label's timestamp.
  No peeking into the future, so offline metrics stop lying.
- **A skew check.** \`python/skew_check.py\` compares the offline and online values for a sample of
  entities and fails CI when they disagree.

## Quick start

\`\`\`bash
npm install
make test
make backfill FROM=2024-01-01 TO=2024-03-01
\`\`\`

## Why so small

Because the hard part of a feature store is not storage. It is the promise that training and
serving see the same world. Everything in here exists to keep that promise; everything that
doesn't, I left out. Keep it boring.

See \`docs/design.md\` for the decisions and the ones I regret.
`;

const featureView = `/**
 * A FeatureView is the single definition of a group of features for one entity.
 * Training and serving both call \`compute\`, never their own copy of the logic:
 * that is the whole defence against training-serving skew.
 */
export type FeatureValue = number | string | boolean | null;

export interface FeatureView<Row> {
  /** Stable name; part of the feature set id, so renaming is a new feature set. */
  readonly name: string;
  readonly entity: string;
  readonly version: number;
  readonly features: readonly string[];
  /** Must be pure: the same rows and the same \`asOf\` always give the same values. */
  compute(rows: readonly Row[], asOf: Date): Record<string, FeatureValue>;
}

export type Order = { userId: string; createdAt: Date; totalNok: number };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Days are counted in UTC on purpose. The serving path once counted in Oslo time and every
 * order placed after 23:00 looked a day older than it was. One definition, one clock.
 */
function utcDay(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}

export const orderHistory: FeatureView<Order> = {
  name: 'order_history',
  entity: 'user',
  version: 3,
  features: ['days_since_last_order', 'orders_last_30_days', 'average_basket_nok'],
  compute(rows, asOf) {
    // Only rows strictly before asOf: a feature may never see the moment it predicts.
    const past = rows.filter((row) => row.createdAt.getTime() < asOf.getTime());
    if (past.length === 0) {
      return { days_since_last_order: null, orders_last_30_days: 0, average_basket_nok: null };
    }
    const last = Math.max(...past.map((row) => row.createdAt.getTime()));
    const recent = past.filter((row) => utcDay(asOf) - utcDay(row.createdAt) < 30);
    const total = past.reduce((sum, row) => sum + row.totalNok, 0);
    return {
      days_since_last_order: utcDay(asOf) - utcDay(new Date(last)),
      orders_last_30_days: recent.length,
      average_basket_nok: Math.round((total / past.length) * 100) / 100,
    };
  },
};
`;

const pointInTimeJoin = `import type { FeatureValue } from './feature-view.ts';

export type Label = { entityId: string; timestamp: Date; value: number };
export type FeatureRow = { entityId: string; timestamp: Date; values: Record<string, FeatureValue> };

/**
 * Joins each label to the latest feature row for its entity whose timestamp is strictly
 * before the label's timestamp. A plain "latest row" join leaks the future into training:
 * the model learns from values that did not exist yet when the prediction would have been made.
 *
 * Rows are sorted once per entity and searched with a binary search, so a backfill over
 * millions of labels stays O(n log n) instead of O(n * m).
 */
export function pointInTimeJoin(labels: readonly Label[], features: readonly FeatureRow[]) {
  const byEntity = new Map<string, FeatureRow[]>();
  for (const row of features) {
    const rows = byEntity.get(row.entityId) ?? [];
    rows.push(row);
    byEntity.set(row.entityId, rows);
  }
  for (const rows of byEntity.values()) {
    rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  return labels.map((label) => {
    const rows = byEntity.get(label.entityId) ?? [];
    const row = latestBefore(rows, label.timestamp.getTime());
    // A label with no earlier features keeps nulls rather than being dropped:
    // silently dropping rows biases the training set towards long-time customers.
    return { ...label, features: row?.values ?? null };
  });
}

function latestBefore(rows: readonly FeatureRow[], time: number): FeatureRow | undefined {
  let low = 0;
  let high = rows.length - 1;
  let found: FeatureRow | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const row = rows[middle]!;
    if (row.timestamp.getTime() < time) {
      found = row;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
`;

const skewCheck = `"""Compare offline and online feature values for a sample of entities.

Run in CI after every change to a feature view. A difference is a bug even when
both numbers look plausible: that is exactly what training-serving skew looks like.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Mismatch:
    entity_id: str
    feature: str
    offline: object
    online: object


# Entities picked on purpose, not at random: the edge cases are where two
# implementations of the same feature disagree.
EDGE_CASE_ENTITIES = [
    "user_ordered_at_2340_oslo",
    "user_in_another_timezone",
    "user_with_no_orders",
]


def compare(offline: dict[str, dict], online: dict[str, dict], tolerance: float = 1e-9) -> list[Mismatch]:
    mismatches: list[Mismatch] = []
    for entity_id, offline_values in offline.items():
        online_values = online.get(entity_id, {})
        for feature, offline_value in offline_values.items():
            online_value = online_values.get(feature)
            if isinstance(offline_value, float) and isinstance(online_value, float):
                if abs(offline_value - online_value) <= tolerance:
                    continue
            elif offline_value == online_value:
                continue
            mismatches.append(Mismatch(entity_id, feature, offline_value, online_value))
    return mismatches


def main(path_offline: str, path_online: str) -> int:
    with open(path_offline, encoding="utf-8") as handle:
        offline = json.load(handle)
    with open(path_online, encoding="utf-8") as handle:
        online = json.load(handle)
    mismatches = compare(offline, online)
    for mismatch in mismatches:
        print(f"skew: {mismatch.entity_id}.{mismatch.feature}: offline={mismatch.offline!r} online={mismatch.online!r}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
`;

const design = `# Design notes

Why tiny-feature-store looks the way it does, written down so I stop re-arguing it with myself.

## SQLite for the offline store

The offline store is one SQLite file. Not because SQLite is fast (it is, for this), but because a
file can be copied. When a colleague says "my backfill gives different numbers", I ask for the
file, not for access to a cluster. Reproducing a bug by copying one file is worth more than any
benchmark. If the data outgrows a file, the same interface sits in front of Postgres.

## Redis for the online store

Online reads are key lookups by entity id, so a key-value store is enough. Values are written by
the same materialisation job that writes the offline store, from the same computed rows.

## Versions in names, not in columns

A feature view's version is part of its name in both stores (\`order_history_v3\`). Two versions can
be served side by side during a migration, and nobody can read v3 features with v2 code by accident.

## What I regret

Computing \`average_basket_nok\` with rounding in the feature view. Rounding belongs to display, not
to features. It is in there now and changing it means a new version. Ask me how I know.
`;

const packageJson = `{
  "name": "tiny-feature-store",
  "version": "0.3.0",
  "private": true,
  "type": "module",
  "scripts": {
    "test": "vitest run"
  },
  "devDependencies": {
    "left-pad": "1.3.0"
  }
}
`;

const packageLock = `{
  "name": "tiny-feature-store",
  "version": "0.3.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "tiny-feature-store", "version": "0.3.0", "devDependencies": { "left-pad": "1.3.0" } },
    "node_modules/left-pad": {
      "version": "1.3.0",
      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "dev": true
    }
  }
}
`;

const vendored = `module.exports = function leftPad(str, len, ch) {
  str = String(str);
  ch = ch || ' ';
  while (str.length < len) str = ch + str;
  return str;
};
`;

// Tabs are required by make; the crawler must keep them byte for byte.
const makefile = [
  '# Tabs, not spaces: make insists.',
  '.PHONY: test backfill skew',
  '',
  'test:',
  '\tnpx vitest run',
  '',
  'backfill:',
  '\tnode --import tsx scripts/backfill.ts --from $(FROM) --to $(TO)  ',
  '',
  'skew:',
  '\tpython3 python/skew_check.py offline.json online.json',
  '',
].join('\n');

// Written on Windows by a colleague; the CRLF line endings are part of the file and must survive.
const backfillCmd = [
  '@echo off',
  'REM Backfill features for a date range on the Windows build agent.',
  'REM Usage: backfill.cmd 2024-01-01 2024-03-01',
  'setlocal',
  'set FROM=%1',
  'set TO=%2',
  'node --import tsx scripts\\backfill.ts --from %FROM% --to %TO%',
  'endlocal',
  '',
].join('\r\n');

/** A valid 1x1 PNG (one teal pixel): real binary bytes with a known binary extension. */
const logoPng = Uint8Array.from(
  Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489' +
      '0000000d49444154789c63d0ca8fff0f0003b701f8e1b9bbaf0000000049454e44ae426082',
    'hex',
  ),
);

/** Binary content behind an extension we do not know: only the NUL-byte sniff can catch it. */
const ordersSnapshot = Uint8Array.from([
  0x54, 0x46, 0x53, 0x31, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x02, 0x00,
]);

/** Generated output far above the default maxFileBytes (256 KiB); text, so only the size rule skips it. */
function generatedSnapshot(): string {
  const lines: string[] = ['['];
  for (let index = 0; index < 5000; index += 1) {
    const id = String(index).padStart(5, '0');
    const comma = index < 4999 ? ',' : '';
    lines.push(`  {"entity":"user_${id}","feature":"days_since_last_order","value":${index % 31}}${comma}`);
  }
  lines.push(']', '');
  return lines.join('\n');
}

export const sampleRepositoryName = 'tiny-feature-store';

export const sampleRepositoryCommits: readonly SampleCommit[] = [
  {
    message: 'Add feature views and the point-in-time join',
    date: '2024-03-02T10:00:00Z',
    files: {
      'README.md': readme,
      '.gitignore': 'node_modules/\ndist/\n.env\n',
      'package.json': packageJson,
      'package-lock.json': packageLock,
      'src/feature-view.ts': featureView,
      'src/point-in-time-join.ts': pointInTimeJoin,
      'node_modules/left-pad/index.js': vendored,
    },
  },
  {
    message: 'Add skew check, design notes and backfill scripts',
    date: '2024-06-11T16:30:00Z',
    files: {
      'python/skew_check.py': skewCheck,
      'docs/design.md': design,
      Makefile: makefile,
      'scripts/backfill.cmd': backfillCmd,
      'assets/logo.png': logoPng,
      'fixtures/orders.snapshot': ordersSnapshot,
      'data/generated-feature-snapshot.json': generatedSnapshot(),
      '.env': 'FEATURE_STORE_URL=sqlite://./features.db\nAPI_TOKEN=not-a-real-token\n',
    },
  },
];
