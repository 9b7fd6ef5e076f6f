import type { BaseMessage } from '@langchain/core/messages';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { mapConcurrentAll } from '../../core/concurrency/map-concurrent.ts';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import { chatServiceError } from './chat-service-error.ts';
import { createChatModel } from './create-chat-model.ts';
import { fillTemplate } from './fill-template.ts';
import { splitIntoPassages } from './split-into-passages.ts';
import { addUsage, noUsage, type TokenUsage, type UsageSummary, usageSummary } from './token-usage.ts';

/** Bump when the prompts, the schema or the checks change: it is part of every LLM recipe. */
export const llmGeneratorVersion = 'llm-v1';

/** The prompts of the LLM generator, recorded in the dataset recipe. */
export const llmPrompts = {
  system: [
    'You turn the published writing of {author} into fine-tuning data for an AI twin that answers as {author}.',
    'For the passage you are given, write {count} instruction/answer pairs.',
    '- instruction: something a reader could ask or request of {author} (a question, or a request to write something) that the passage answers. It must make sense on its own, without the passage.',
    "- answer: {author}'s reply, in the first person and in their own voice. Quote the passage word for word where you can and otherwise paraphrase it closely, keeping their phrases, opinions and examples.",
    'Use only what the passage says: never add facts, numbers, stories or advice that are not in it. Never mention "the passage", "the text" or "the author".',
    'Reply by calling {tool} with the pairs.',
  ].join('\n'),
  user: 'Title: {title}\nPublished as: {category} on {platform}\n\nPassage:\n<<<\n{passage}\n>>>',
  retry: 'Your previous reply could not be used ({problem}). Call {tool} again with {count} pairs.',
} as const;

const toolName = 'instruction_pairs';

const GeneratedPairs = z
  .object({
    pairs: z
      .array(
        z.object({
          instruction: z.string().trim().min(1).describe('What a reader asks or requests of the author'),
          answer: z
            .string()
            .trim()
            .min(1)
            .describe("The author's answer, in their own voice, grounded in the passage"),
        }),
      )
      .min(1),
  })
  .describe('Instruction/answer pairs grounded in the passage');
type GeneratedPairs = z.infer<typeof GeneratedPairs>;

const UsageMetadata = z.object({ input_tokens: z.number(), output_tokens: z.number() });

export type LlmGeneratorOptions = {
  endpoint: ChatEndpointConfig;
  /** Named in the prompts so answers come out in the first person of this author. */
  authorName: string | null;
  pairsPerPassage?: number;
  maxPassageCharacters?: number;
  /** Below this share of an answer's words found in the passage, the pair is dropped as invented. */
  minGroundedShare?: number;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

export type LlmGeneratorResult = {
  examples: InstructionExample[];
  /** `llm-invalid-output`: passages whose every answer was unusable; `llm-ungrounded`: pairs not backed by the passage. */
  dropped: Record<string, number>;
  usage: UsageSummary;
  passages: number;
};

type Passage = { document: CleanedDocument; text: string };

/**
 * Asks an LLM for instruction/answer pairs, passage by passage, with `endpoint.concurrency`
 * requests in flight. Output is structured (a forced tool call) and validated with zod; an unusable
 * reply is asked again up to `endpoint.retries` times, and a passage that never gets a usable reply
 * is counted in `dropped` rather than failing the build. Transport errors are different: a 4xx, or
 * a 429/5xx that outlasts LangChain's retries, fails the whole generation with a ServiceError.
 */
export async function generateLlmInstructions(
  documents: readonly CleanedDocument[],
  options: LlmGeneratorOptions,
): Promise<LlmGeneratorResult> {
  const logger = options.logger ?? silentLogger;
  const count = options.pairsPerPassage ?? 3;
  const author = options.authorName ?? 'the author';
  const model = createChatModel(options.endpoint).withStructuredOutput(GeneratedPairs, {
    name: toolName,
    method: 'functionCalling',
    includeRaw: true,
  });
  const passages: Passage[] = [...documents]
    .sort((a, b) => (a.documentId < b.documentId ? -1 : 1))
    .flatMap((document) =>
      splitIntoPassages(document.text, options.maxPassageCharacters ?? 4000).map((text) => ({
        document,
        text,
      })),
    );

  let usage: TokenUsage = noUsage;
  let done = 0;
  const dropped: Record<string, number> = {};
  const drop = (reason: string, by = 1) => {
    if (by > 0) dropped[reason] = (dropped[reason] ?? 0) + by;
  };

  const ask = async (
    passage: Passage,
    _index: number,
    signal: AbortSignal,
  ): Promise<InstructionExample[]> => {
    const system = fillTemplate(llmPrompts.system, { author, count: String(count), tool: toolName });
    const user = fillTemplate(llmPrompts.user, {
      title: passage.document.title,
      category: passage.document.category,
      platform: passage.document.platform,
      passage: passage.text,
    });
    let problem: string | null = null;
    for (let attempt = 0; attempt <= options.endpoint.retries; attempt += 1) {
      const retryNote = problem
        ? `\n\n${fillTemplate(llmPrompts.retry, { problem, tool: toolName, count: String(count) })}`
        : '';
      let reply: { raw: BaseMessage; parsed: unknown };
      try {
        reply = await model.invoke([new SystemMessage(system), new HumanMessage(`${user}${retryNote}`)], {
          signal,
        });
      } catch (error) {
        throw chatServiceError(error, options.endpoint, 'the LLM instruction generator', signal);
      }
      usage = addUsage(usage, usageOf(reply.raw));
      const checked = checkReply(reply);
      if (checked.success) {
        const pairs = checked.data.pairs.slice(0, count);
        const grounded = pairs.filter(
          (pair) => groundedShare(pair.answer, passage.text) >= (options.minGroundedShare ?? 0.5),
        );
        drop('llm-ungrounded', pairs.length - grounded.length);
        return grounded.map((pair) => ({
          instruction: pair.instruction,
          answer: pair.answer,
          kind: 'llm:qa',
          sourceDocumentId: passage.document.documentId,
        }));
      }
      problem = checked.problem;
      logger.warn('unusable LLM reply', {
        documentId: passage.document.documentId,
        attempt: attempt + 1,
        problem,
      });
    }
    drop('llm-invalid-output');
    return [];
  };

  const results = await mapConcurrentAll(
    passages,
    options.endpoint.concurrency,
    async (passage, index, signal) => {
      const examples = await ask(passage, index, signal);
      done += 1;
      options.onProgress?.(done, passages.length);
      return examples;
    },
    options.signal,
  );
  return {
    examples: results.flat(),
    dropped,
    usage: usageSummary(usage, options.endpoint),
    passages: passages.length,
  };
}

function checkReply(reply: {
  raw: BaseMessage;
  parsed: unknown;
}): { success: true; data: GeneratedPairs } | { success: false; problem: string } {
  const parsed = GeneratedPairs.safeParse(reply.parsed ?? toolArguments(reply.raw));
  if (parsed.success) return { success: true, data: parsed.data };
  const raw = reply.raw as BaseMessage & {
    tool_calls?: unknown[];
    invalid_tool_calls?: { error?: string }[];
  };
  if (raw.invalid_tool_calls?.length)
    return { success: false, problem: 'the tool arguments were not valid JSON' };
  if (!raw.tool_calls?.length) return { success: false, problem: `no call to ${toolName}` };
  const issue = parsed.error.issues[0];
  return {
    success: false,
    problem: `the pairs did not match the schema: ${issue ? `${issue.path.join('.') || 'root'} ${issue.message}` : 'invalid'}`,
  };
}

function toolArguments(raw: BaseMessage): unknown {
  const calls = (raw as BaseMessage & { tool_calls?: { name: string; args: unknown }[] }).tool_calls;
  return calls?.find((call) => call.name === toolName)?.args;
}

function usageOf(raw: BaseMessage): TokenUsage {
  // Local servers may omit usage; that counts as zero tokens rather than an error.
  const parsed = UsageMetadata.safeParse((raw as BaseMessage & { usage_metadata?: unknown }).usage_metadata);
  return parsed.success
    ? { promptTokens: parsed.data.input_tokens, completionTokens: parsed.data.output_tokens }
    : noUsage;
}

/** Share of the answer's content words (four letters or more) that occur in the passage. */
export function groundedShare(answer: string, passage: string): number {
  const wordsOf = (text: string) => text.toLowerCase().match(/\p{L}{4,}/gu) ?? [];
  const source = new Set(wordsOf(passage));
  const words = wordsOf(answer);
  if (words.length === 0) return 0;
  return words.filter((word) => source.has(word)).length / words.length;
}
