import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { ServiceError } from '../../core/errors.ts';
import { chatServiceError } from './chat-service-error.ts';
import { createChatModel } from './create-chat-model.ts';
import { fillTemplate } from './fill-template.ts';
import type { RejectedAnswerSource } from './rejected-answer-source.ts';
import { addUsage, noUsage, type TokenUsage } from './token-usage.ts';

/** Asks for the answer any assistant would give: correct enough, and without the author's voice. */
export const genericAnswerPrompts = {
  system:
    'You are a generic, neutral assistant. Answer plainly and blandly, the way a typical assistant would: no personal anecdotes, no first-hand experience, no strong opinions, no humour, no distinctive phrasing. Do not refuse and do not ask questions back.',
  user: '{instruction}',
} as const;

const UsageMetadata = z.object({ input_tokens: z.number(), output_tokens: z.number() });

/** Generic answers from an OpenAI-compatible endpoint, through the same ChatOpenAI setup as the generator. */
export class LlmRejectedAnswerSource implements RejectedAnswerSource {
  readonly name: string;
  readonly prompt = `${genericAnswerPrompts.system}\n\n${genericAnswerPrompts.user}`;
  private readonly model: ChatOpenAI;
  private spent: TokenUsage = noUsage;

  constructor(private readonly endpoint: ChatEndpointConfig) {
    this.name = `llm:${endpoint.model}`;
    this.model = createChatModel(endpoint);
  }

  async generic(instruction: string, signal?: AbortSignal): Promise<string> {
    let reply: Awaited<ReturnType<ChatOpenAI['invoke']>>;
    try {
      reply = await this.model.invoke(
        [
          new SystemMessage(genericAnswerPrompts.system),
          new HumanMessage(fillTemplate(genericAnswerPrompts.user, { instruction })),
        ],
        { signal },
      );
    } catch (error) {
      throw chatServiceError(error, this.endpoint, 'the generic-answer model', signal);
    }
    const usage = UsageMetadata.safeParse(reply.usage_metadata);
    if (usage.success)
      this.spent = addUsage(this.spent, {
        promptTokens: usage.data.input_tokens,
        completionTokens: usage.data.output_tokens,
      });
    const text = typeof reply.content === 'string' ? reply.content : reply.text;
    if (typeof text !== 'string')
      throw new ServiceError(`the generic-answer model at ${this.endpoint.baseUrl} returned no text`);
    return text.trim();
  }

  usage(): TokenUsage {
    return this.spent;
  }
}
