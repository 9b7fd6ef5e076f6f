import { z } from 'zod';
import { Semaphore } from '../../core/concurrency/semaphore.ts';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { errorMessage } from '../../core/errors.ts';
import { type ChatMessage, createChatCompletion } from '../../core/http/create-chat-completion.ts';
import { OpenAIHttpClient } from '../../core/http/openai-http-client.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';

/** Scores from 1 (poor) to 3 (excellent), with the judge's one-line reason. */
export type JudgeVerdict = { accuracy: number; style: number; reason: string };

export type JudgeInput = { instruction: string; reference: string; generated: string };

/** Grades a generated answer against the author's own answer. */
export interface LlmJudge {
  /** The verdict, or null when the judge's reply could not be read (counted, not fatal). */
  judge(input: JudgeInput, signal?: AbortSignal): Promise<JudgeVerdict | null>;
}

const score = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*[123]\s*$/.test(value) ? Number(value) : value),
  z.number().int().min(1).max(3),
);

/** What the judge must answer; extra keys are ignored. */
const Verdict = z.object({ accuracy: score, style: score, reason: z.string().trim().min(1).max(2000) });

export const judgeSystemPrompt = `You are an impartial evaluator of an AI twin: a model fine-tuned to write like one particular author.
You get an instruction, the author's own answer (the reference) and the twin's answer.
Score the twin's answer on two criteria, each from 1 to 3:

accuracy — is it factually right and does it answer the instruction, measured against the reference?
  1 = wrong, off-topic or mostly missing what the reference says
  2 = partly right: the main point is there, with gaps or small errors
  3 = right and complete; nothing important from the reference is missing or contradicted

style — does it sound like the author of the reference (tone, vocabulary, sentence length, way of explaining)?
  1 = generic assistant prose, nothing like the author
  2 = somewhat like the author, but with generic or overly formal passages
  3 = reads as if the author wrote it

Reply with a JSON object only: {"accuracy": <1-3>, "style": <1-3>, "reason": "<one short sentence>"}`;

export function judgeUserPrompt(input: JudgeInput): string {
  return [
    `<instruction>\n${input.instruction}\n</instruction>`,
    `<reference>\n${input.reference}\n</reference>`,
    `<answer>\n${input.generated}\n</answer>`,
  ].join('\n\n');
}

export type ChatLlmJudgeOptions = {
  logger?: Logger;
  fetch?: typeof fetch;
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
};

/**
 * LLM-as-judge over any OpenAI-compatible chat endpoint, asking for a JSON verdict
 * (`response_format: json_object`). A reply that is not a valid verdict is asked for once more;
 * after that the example goes unscored. HTTP failures (after the endpoint's retries) throw: a
 * judge that is down should stop the evaluation, not silently score nothing.
 */
export class ChatLlmJudge implements LlmJudge {
  private readonly config: ChatEndpointConfig;
  private readonly client: OpenAIHttpClient;
  private readonly slots: Semaphore;
  private readonly logger: Logger;

  constructor(config: ChatEndpointConfig, options: ChatLlmJudgeOptions = {}) {
    this.config = config;
    this.logger = options.logger ?? silentLogger;
    this.client = new OpenAIHttpClient({
      baseUrl: config.baseUrl,
      apiKey: config.apiKey,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      service: `judge ${config.model}`,
      logger: this.logger,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    this.slots = new Semaphore(config.concurrency);
  }

  judge(input: JudgeInput, signal?: AbortSignal): Promise<JudgeVerdict | null> {
    return this.slots.run(() => this.ask(input, signal));
  }

  private async ask(input: JudgeInput, signal: AbortSignal | undefined): Promise<JudgeVerdict | null> {
    const messages: ChatMessage[] = [
      { role: 'system', content: judgeSystemPrompt },
      { role: 'user', content: judgeUserPrompt(input) },
    ];
    let problem = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      signal?.throwIfAborted();
      const completion = await createChatCompletion(
        this.client,
        {
          model: this.config.model,
          messages,
          temperature: this.config.temperature,
          maxTokens: 300,
          json: true,
        },
        signal,
      );
      const verdict = readVerdict(completion.content);
      if ('accuracy' in verdict) return verdict;
      problem = verdict.problem;
      this.logger.debug('the judge reply is not a valid verdict', { attempt, problem });
    }
    this.logger.warn('the judge gave no valid verdict twice; the example stays unscored', {
      instruction: input.instruction.slice(0, 80),
      problem,
    });
    return null;
  }
}

/** The verdict in a reply, tolerating code fences; or why there is none. */
export function readVerdict(content: string): JudgeVerdict | { problem: string } {
  const unfenced = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(unfenced);
  } catch (error) {
    return { problem: `not JSON (${errorMessage(error)}): ${content.slice(0, 120)}` };
  }
  const parsed = Verdict.safeParse(json);
  if (!parsed.success) {
    return {
      problem: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    };
  }
  return parsed.data;
}
