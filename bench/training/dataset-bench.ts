import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/load-config.ts';
import { silentLogger } from '../../core/logger.ts';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import {
  openTestStores,
  registerFeatureSet,
} from '../../training/datasets/__fixtures__/dataset-test-stores.ts';
import { buildDataset, generateOfflineInstructions } from '../../training/datasets/index.ts';
import { measure, round } from '../measure.ts';

const documentCount = 1000;

/**
 * Dataset build time per 1k documents: the sample author's 37 cleaned documents are varied into
 * 1,000 distinct ones (so the near-duplicate filter has real work but does not drop them all).
 * The baseline is the offline generator alone on the same documents, in the same run: the ratio
 * shows what filters, the split, content addressing and storage add.
 */
export async function runDatasetBench(): Promise<Record<string, unknown>> {
  const stores = await openTestStores();
  try {
    const featureSet = await registerFeatureSet(stores.metadata);
    const documents = variedDocuments(featureSet.id);
    for (const document of documents) {
      await stores.metadata.featureSets.saveCleaned(document, 1);
    }
    const config = loadConfig({ env: {} }).training;
    const generation = await measure(() =>
      generateOfflineInstructions(documents, { maxAnswerCharacters: config.datasets.maxAnswerCharacters }),
    );
    const build = await measure(() =>
      buildDataset(
        { featureSetId: featureSet.id, kind: 'instruction', generator: 'offline' },
        { metadata: stores.metadata, artifacts: stores.artifacts, config, logger: silentLogger },
      ),
    );
    const { dataset } = build.value;
    return {
      documents: documentCount,
      examplesGenerated: generation.value.length,
      examplesKept: dataset.sizes.train + dataset.sizes.test,
      dropped: dataset.dropped,
      buildSecondsPer1kDocuments: round((build.durationMs / 1000) * (1000 / documentCount), 3),
      peakRssMb: build.peakRssMb,
      baseline: {
        what: 'the offline generator alone on the same documents',
        secondsPer1kDocuments: round((generation.durationMs / 1000) * (1000 / documentCount), 3),
        peakRssMb: generation.peakRssMb,
      },
      ratioToBaseline: round(build.durationMs / generation.durationMs, 2),
    };
  } finally {
    await stores.close();
  }
}

function variedDocuments(featureSetId: string): CleanedDocument[] {
  const path = join(import.meta.dirname, '../../training/datasets/__fixtures__/sample-author-cleaned.json');
  const sample = JSON.parse(readFileSync(path, 'utf8')) as CleanedDocument[];
  return Array.from({ length: documentCount }, (_, index) => {
    const source = sample[index % sample.length] as CleanedDocument;
    const round = Math.floor(index / sample.length);
    // Rotate paragraphs and tag the copy, so each document is new text with the author's voice.
    const paragraphs = source.text.split('\n\n');
    const shift = round % Math.max(1, paragraphs.length);
    const text = [...paragraphs.slice(shift), ...paragraphs.slice(0, shift)].join('\n\n');
    return {
      ...source,
      featureSetId,
      documentId: `${source.documentId}-${round}`,
      title: round === 0 ? source.title : `${source.title} (take ${round + 1})`,
      text: `${text}\n\nNote ${index}: revisited in draft ${round + 1}.`,
    };
  });
}
