import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { lineageOf } from '../../core/registry/lineage.ts';
import { checkGate, promoteModel, rollbackModel } from '../../core/registry/promote-model.ts';
import { resolveModel } from '../../core/registry/resolve-model.ts';
import type { ModelArtifact, ModelVersion } from '../../core/types/model-version.ts';
import { print, withRuntime } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';
import { positiveInteger } from './documents-command.ts';
import { modelsPullCommand } from './models-pull-command.ts';
import { modelsRegisterCommand } from './models-register-command.ts';

export function modelsCommand(): Command {
  const models = new Command('models').description(
    'the model registry: versions, lineage, aliases, promotion and rollback',
  );
  models
    .command('list')
    .description('list model versions with their backend, dataset, feature set, metrics and aliases')
    .argument('[name]', 'only this model')
    .option('--json', 'print JSON')
    .action(async function (this: Command, name: string | undefined, options: { json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const versions = await runtime.metadata.models.list(name);
        const aliases = await runtime.metadata.models.listAliases(name);
        if (options.json) {
          print(JSON.stringify({ versions, aliases }, null, 2));
          return;
        }
        if (versions.length === 0) {
          print('No models yet: build a dataset (`twin datasets build`) and train one (`twin train`).');
          return;
        }
        print(
          formatTable(
            ['model', 'aliases', 'backend', 'dataset', 'feature set', 'parent', 'metrics', 'created'],
            versions.map((version) => [
              `${version.name}:${version.version}`,
              aliases
                .filter((alias) => alias.name === version.name && alias.version === version.version)
                .map((alias) => `@${alias.alias}`)
                .join(' '),
              version.backend,
              version.datasetId,
              version.featureSetId,
              version.parentVersion,
              formatMetrics(version.metrics),
              version.createdAt.slice(0, 19),
            ]),
            70,
          ),
        );
      });
    });
  models
    .command('show')
    .description('show one version: hyper-parameters, artifact, metrics, loss curve')
    .argument('<model>', 'NAME:VERSION, NAME@ALIAS or NAME (production)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, reference: string, options: { json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const version = await resolveModel(runtime.metadata.models, reference);
        if (options.json) {
          print(JSON.stringify(version, null, 2));
          return;
        }
        print(describeVersion(version));
        if (version.lossCurveKey) print(`loss curve     ${runtime.artifacts.locate(version.lossCurveKey)}`);
      });
    });
  models
    .command('lineage')
    .description('print model → parent versions → dataset → feature set → source documents')
    .argument('<model>', 'NAME:VERSION, NAME@ALIAS or NAME (production)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, reference: string, options: { json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const resolved = await resolveModel(runtime.metadata.models, reference);
        const lineage = await lineageOf(runtime.metadata, resolved.name, resolved.version);
        if (options.json) {
          print(JSON.stringify(lineage, null, 2));
          return;
        }
        const { model, parents, base, dataset, featureSet, documents } = lineage;
        print(
          `model        ${model.name}:${model.version} (${model.backend}, base ${model.baseModel ?? '—'})`,
        );
        for (const parent of parents)
          print(`  ↳ parent   ${parent.name}:${parent.version} (${parent.backend})`);
        if (base)
          print(
            `base         ${base.name}:${base.version} (sha256 ${base.sha256.slice(0, 12)}…, ${base.path})${base.registered ? '' : ' (no longer registered)'}`,
          );
        print(
          `dataset      ${dataset ? `${dataset.id} (${dataset.recipe.kind}, ${dataset.recipe.generator.name}, ${dataset.sizes.train} train / ${dataset.sizes.test} test)` : '—'}`,
        );
        print(
          `feature set  ${featureSet ? `${featureSet.id} (${featureSet.spec.embedder.id}, ${featureSet.spec.embedder.dimensions}-d, ${featureSet.spec.cleanerVersion})` : (model.featureSetId ?? '—')}`,
        );
        print(`documents    ${documents.length}`);
        for (const document of documents) {
          print(
            `  - ${document.id}  ${document.platform.padEnd(9)} ${document.title}${document.present ? '' : ' (removed since)'}`,
          );
        }
      });
    });
  models
    .command('promote')
    .description('point an alias (default production) at a version: one atomic move, audited')
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', (value) => positiveInteger(value, 'version'))
    .option('--alias <alias>', 'alias to move', 'production')
    .option(
      '--gate',
      'only promote if the version beats the alias’s current version on the configured metric',
    )
    .option('--by <who>', 'recorded as the mover (default: training.actor from config)')
    .option('--reason <text>', 'recorded in the audit trail')
    .action(async function (
      this: Command,
      name: string,
      version: number,
      options: { alias: string; gate?: boolean; by?: string; reason?: string },
    ) {
      await withRuntime(this, async (runtime) => {
        if (options.gate) {
          const gate = await checkGate(runtime.metadata.models, {
            name,
            version,
            alias: options.alias,
            metric: runtime.config.training.gate.metric,
            higherIsBetter: runtime.config.training.gate.higherIsBetter,
          });
          if (!gate.passed) throw new ValidationError(`promotion refused by the gate: ${gate.reason}`);
          print(`gate passed: ${gate.reason}`);
        }
        const event = await promoteModel(runtime.metadata.models, {
          name,
          version,
          alias: options.alias,
          movedBy: options.by ?? runtime.config.training.actor,
          ...(options.reason ? { reason: options.reason } : {}),
          vectors: runtime.vectors,
        });
        print(`${name}@${event.alias}: ${event.fromVersion ?? '—'} → ${event.toVersion}`);
      });
    });
  models
    .command('rollback')
    .description('move an alias (default production) back to the version it served before')
    .argument('<name>', 'model name')
    .option('--alias <alias>', 'alias to move back', 'production')
    .option('--by <who>', 'recorded as the mover (default: training.actor from config)')
    .option('--reason <text>', 'recorded in the audit trail')
    .action(async function (
      this: Command,
      name: string,
      options: { alias: string; by?: string; reason?: string },
    ) {
      await withRuntime(this, async (runtime) => {
        const event = await rollbackModel(runtime.metadata.models, {
          name,
          alias: options.alias,
          movedBy: options.by ?? runtime.config.training.actor,
          ...(options.reason ? { reason: options.reason } : {}),
          vectors: runtime.vectors,
        });
        print(`${name}@${event.alias}: ${event.fromVersion} → ${event.toVersion} (rolled back)`);
      });
    });
  models
    .command('history')
    .description('the audit trail of alias moves: who moved what, when and why')
    .argument('<name>', 'model name')
    .option('--alias <alias>', 'only this alias')
    .action(async function (this: Command, name: string, options: { alias?: string }) {
      await withRuntime(this, async (runtime) => {
        const events = await runtime.metadata.models.aliasHistory(name, options.alias);
        print(
          formatTable(
            ['at', 'alias', 'from', 'to', 'by', 'reason'],
            events.map((event) => [
              event.at.slice(0, 19),
              event.alias,
              event.fromVersion,
              event.toVersion,
              event.movedBy,
              event.reason,
            ]),
          ),
        );
      });
    });
  models.addCommand(modelsRegisterCommand());
  models.addCommand(modelsPullCommand());
  return models;
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(3)}`)
    .join(' ');
}

function describeVersion(version: ModelVersion): string {
  const artifact = describeArtifact(version.artifact);
  const last = version.lossCurve[version.lossCurve.length - 1];
  return [
    `model          ${version.name}:${version.version}`,
    `backend        ${version.backend} (base ${version.baseModel ?? '—'})`,
    `parent         ${version.parentVersion ?? '—'}`,
    `dataset        ${version.datasetId ?? '—'}`,
    `feature set    ${version.featureSetId ?? '—'}`,
    `artifact       ${artifact}`,
    `hyperparams    ${JSON.stringify(version.hyperparameters)}`,
    `metrics        ${formatMetrics(version.metrics) || '—'}`,
    `loss           ${last ? `step ${last.step}: train ${last.trainLoss.toFixed(3)}, validation ${last.validationLoss?.toFixed(3) ?? '—'}` : '—'}`,
    `created        ${version.createdAt} by ${version.createdBy}${version.jobId ? ` (job ${version.jobId})` : ''}`,
  ].join('\n');
}

function describeArtifact(artifact: ModelArtifact): string {
  switch (artifact.kind) {
    case 'local':
      return `local checkpoint ${artifact.key}`;
    case 'openai-compatible':
      return `${artifact.model} at ${artifact.baseUrl}`;
    case 'gguf-adapter':
      return `LoRA adapter ${artifact.adapter.path} on ${artifact.base.name}:${artifact.base.version} (${artifact.base.path})`;
    case 'gguf':
    case 'folder':
      return `${artifact.kind} ${artifact.path}`;
  }
}
