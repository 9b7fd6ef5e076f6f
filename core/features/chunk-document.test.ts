import { describe, expect, it } from 'vitest';
import type { CleanedDocument } from '../types/cleaned-document.ts';
import { chunkDocument } from './chunk-document.ts';
import { featureSetFromConfig, featureSetId } from './feature-set-from-config.ts';

const chunking = {
  article: { chunkSize: 48, chunkOverlap: 8, strategy: 'prose' as const },
  post: { chunkSize: 32, chunkOverlap: 4, strategy: 'prose' as const },
  repository: { chunkSize: 40, chunkOverlap: 0, strategy: 'code' as const },
};
const featureSet = featureSetFromConfig(chunking, { id: 'use-lite@0.2.0', dimensions: 512 });

function document(category: CleanedDocument['category'], text: string): CleanedDocument {
  return {
    documentId: 'doc1',
    featureSetId: featureSet.id,
    authorId: 'ada',
    platform: category === 'repository' ? 'github' : 'web',
    category,
    url: 'https://example.com/doc1',
    title: 'Doc one',
    text,
    sourceHash: 'a'.repeat(64),
    publishedAt: null,
    cleanedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('chunkDocument', () => {
  it('gives deterministic ids and a full payload per chunk', () => {
    const text = Array.from({ length: 10 }, (_, index) => `Sentence ${index} is about vector search.`).join(
      ' ',
    );
    const first = chunkDocument(document('article', text), featureSet.spec);
    const second = chunkDocument(document('article', text), featureSet.spec);
    expect(first.length).toBeGreaterThan(1);
    expect(first.map((chunk) => chunk.id)).toEqual(second.map((chunk) => chunk.id));
    expect(first[1]).toMatchObject({
      chunkIndex: 1,
      documentId: 'doc1',
      featureSetId: featureSet.id,
      title: 'Doc one',
    });
    expect(new Set(first.map((chunk) => chunk.id)).size).toBe(first.length);
  });

  it('uses per-category sizes', () => {
    const text = Array.from({ length: 20 }, (_, index) => `Point ${index} matters a lot here.`).join(' ');
    const posts = chunkDocument(document('post', text), featureSet.spec);
    const articles = chunkDocument(document('article', text), featureSet.spec);
    expect(posts.length).toBeGreaterThan(articles.length);
  });

  it('keeps code indentation in repository chunks', () => {
    const code = Array.from(
      { length: 8 },
      (_, index) => `def handler_${index}(event):\n    if event:\n        return ${index}\n    return None\n`,
    ).join('\n');
    const chunks = chunkDocument(document('repository', code), featureSet.spec);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(code);
    expect(chunks.some((chunk) => chunk.text.includes('\n        return'))).toBe(true);
  });

  it('a different chunking or embedder makes a different feature set', () => {
    const other = featureSetFromConfig(
      { ...chunking, post: { ...chunking.post, chunkSize: 64 } },
      { id: 'use-lite@0.2.0', dimensions: 512 },
    );
    const otherEmbedder = featureSetFromConfig(chunking, { id: 'openai:x@host', dimensions: 512 });
    expect(new Set([featureSet.id, other.id, otherEmbedder.id]).size).toBe(3);
    expect(featureSetId(featureSet.spec)).toBe(featureSet.id);
    expect(featureSet.id).toMatch(/^fs_[0-9a-f]{12}$/);
  });
});
