import { describe, expect, it } from 'vitest';
import { runGeneratorContract } from '../../core/contracts/generator-contract.ts';
import { countTokens } from '../../core/features/count-tokens.ts';
import type { GenerationSummary } from '../../core/ports/generator.ts';
import { contentTerms } from '../../core/text/content-terms.ts';
import { noorPassages, rollbackQuestion } from './__fixtures__/noor-passages.ts';
import { extractSentences, sentencesOf } from './extract-sentences.ts';
import { ExtractiveGenerator, noGeneratorNotice } from './extractive-generator.ts';
import { loadPromptTemplate } from './prompt-template.ts';
import type { GroundedGenerationRequest } from './twin-generator.ts';

async function collect(stream: AsyncGenerator<string, GenerationSummary>) {
  const pieces: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { pieces, text: pieces.join(''), summary: step.value };
    pieces.push(step.value);
  }
}

function request(overrides: Partial<GroundedGenerationRequest> = {}): GroundedGenerationRequest {
  const built = loadPromptTemplate().buildMessages({
    authorName: 'Noor Halvorsen',
    question: rollbackQuestion,
    sources: noorPassages,
  });
  return {
    messages: built.messages,
    grounding: built.grounding,
    maxTokens: 400,
    temperature: 0,
    ...overrides,
  };
}

describe('sentencesOf', () => {
  it('keeps prose sentences and leaves out headings and code', () => {
    const sentences = sentencesOf(noorPassages[1]?.text ?? '');
    expect(sentences).toEqual([
      'A registry is a list of model versions with their lineage, and an alias that says which one is in production.',
      'Promotion moves the alias; rollback moves it back.',
      'If rolling back means retraining, you do not have a registry, you have a folder of hopes.',
      'Boring is a feature.',
    ]);
    expect(
      sentencesOf(noorPassages[0]?.text ?? '').some((sentence) => sentence.includes('What I do now')),
    ).toBe(false);
  });
});

describe('extractSentences', () => {
  it('picks the sentences that answer the question, in source order', () => {
    const picked = extractSentences(
      rollbackQuestion,
      noorPassages.map((passage, index) => ({ ...passage, number: index + 1 })),
      { limit: 3 },
    );
    expect(picked.map((sentence) => sentence.text)).toContain(
      'It took forty minutes, because the previous model artifact was gone: a bucket lifecycle rule deleted objects older than thirty days, and nobody had told the registry.',
    );
    const order = picked.map((sentence) => [sentence.sourceNumber, sentence.position]);
    expect(order).toEqual([...order].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0)));
    expect(picked).toHaveLength(3);
    // The time-zone story shares no term with the question.
    expect(picked.some((sentence) => sentence.sourceNumber === 3)).toBe(false);
  });

  it('folds plurals and ignores stopwords', () => {
    expect(contentTerms('Why do the models take minutes?')).toEqual(['model', 'take', 'minute']);
  });
});

describe('ExtractiveGenerator', () => {
  it('answers with a notice and cited sentences, streamed sentence by sentence', async () => {
    const { pieces, text, summary } = await collect(new ExtractiveGenerator().stream(request()));
    expect(pieces[0]).toBe(noGeneratorNotice);
    expect(text.split('\n')[0]).toBe(noGeneratorNotice);
    expect(text).toContain(
      'It took forty minutes, because the previous model artifact was gone: a bucket lifecycle rule deleted objects older than thirty days, and nobody had told the registry. [1]',
    );
    // Every quoted sentence carries its citation, and each piece is exactly one sentence.
    for (const piece of pieces.slice(1)) expect(piece.trim()).toMatch(/^[A-Z][^\n]*[.?!] \[[12]\]$/);
    expect(text).not.toContain('Oslo');
    expect(summary.finishReason).toBe('stop');
    expect(summary.completionTokens).toBeGreaterThan(30);
    expect(summary.promptTokens).toBeGreaterThan(100);
  });

  it('is deterministic', async () => {
    const first = await collect(new ExtractiveGenerator().stream(request()));
    const second = await collect(new ExtractiveGenerator().stream(request()));
    expect(second.text).toBe(first.text);
  });

  it('says so when nothing was retrieved, or nothing retrieved answers', async () => {
    const none = await collect(
      new ExtractiveGenerator().stream(request({ grounding: { question: rollbackQuestion, sources: [] } })),
    );
    expect(none.text).toBe(
      `${noGeneratorNotice}\n\nNo passages from my writing were found for this question.`,
    );
    const unrelated = await collect(
      new ExtractiveGenerator().stream(
        request({
          grounding: {
            question: 'What is your favourite pizza topping?',
            sources: [{ number: 1, ...noorPassages[2]! }],
          },
        }),
      ),
    );
    expect(unrelated.text).toContain('None of the passages found for this question seem to answer it.');
  });

  it('keeps whole sentences within maxTokens and cuts at a stop string', async () => {
    const full = await collect(new ExtractiveGenerator().stream(request()));
    expect(full.pieces.length).toBeGreaterThan(3);
    const room = countTokens(`${full.pieces[0]}${full.pieces[1]}`) + 2;
    const short = await collect(new ExtractiveGenerator().stream(request({ maxTokens: room })));
    expect(short.summary.finishReason).toBe('length');
    expect(short.pieces).toEqual(full.pieces.slice(0, 2));
    const stopped = await collect(new ExtractiveGenerator().stream(request({ stop: ['lifecycle'] })));
    expect(stopped.summary.finishReason).toBe('stop');
    expect(stopped.text.endsWith('gone: a bucket ')).toBe(true);
  });

  it('says as much of its notice as maxTokens allows when even the notice does not fit', async () => {
    const { text, summary } = await collect(new ExtractiveGenerator().stream(request({ maxTokens: 5 })));
    // "Note", ":", "no" and "generator" (nine letters: two tokens) make five.
    expect(text).toBe('Note: no generator');
    expect(summary).toMatchObject({ finishReason: 'length', completionTokens: 5 });
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const stream = new ExtractiveGenerator().stream(request({ signal: controller.signal }));
    const first = await stream.next();
    expect(first.value).toBe(noGeneratorNotice);
    controller.abort();
    const next = await stream.next();
    expect(next).toMatchObject({ done: true, value: { finishReason: 'abort' } });
  });

  it('uses a custom notice', async () => {
    const { text } = await collect(
      new ExtractiveGenerator({ notice: 'Note: the model is unreachable.' }).stream(request()),
    );
    expect(text.startsWith('Note: the model is unreachable.\n\n')).toBe(true);
  });
});

runGeneratorContract('extractive', async () => {
  const built = loadPromptTemplate().buildMessages({
    authorName: 'Noor Halvorsen',
    question: rollbackQuestion,
    sources: noorPassages.slice(1, 2),
  });
  return {
    generator: new ExtractiveGenerator({ maxSentences: 2 }),
    request: { messages: built.messages, grounding: built.grounding, maxTokens: 400, temperature: 0 },
    answer:
      `${noGeneratorNotice}\n\n` +
      'A registry is a list of model versions with their lineage, and an alias that says which one is in production. [1] ' +
      'If rolling back means retraining, you do not have a registry, you have a folder of hopes. [1]',
    finishReason: 'stop',
    shortMaxTokens: 5,
  };
});
