import { ValidationError } from '../errors.ts';
import type { ChatMessage } from '../ports/generator.ts';
import type { ChatHistoryItem, ChatWrapper, LlamaModel, Token } from './load-node-llama-cpp.ts';

/** A chat turned into a GGUF model's tokens, and where the answer's tokens begin. */
export type ChatAnswerTokens = {
  /** The chat as the model reads it, the answer and its end-of-turn token included. */
  tokens: Token[];
  /** Index of the answer's first token: the tokens before it are the prompt's. */
  answerStart: number;
};

/** System prompt, earlier turns and the final user message, as a chat session takes them. */
export function splitConversation(messages: readonly ChatMessage[]): {
  system: string;
  history: ChatHistoryItem[];
  prompt: string;
} {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user')
    throw new ValidationError(
      'a GGUF chat model answers a user message, and the conversation does not end with one',
    );
  const system = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const history = messages.slice(0, -1).flatMap((message): ChatHistoryItem[] => {
    if (message.role === 'user') return [{ type: 'user', text: message.content }];
    if (message.role === 'assistant') return [{ type: 'model', response: [message.content] }];
    return [];
  });
  return { system, history, prompt: last.content };
}

/**
 * The tokens of `messages` followed by `answer` as the model's turn, rendered by the model's own
 * chat template: what scoring evaluates and what the LoRA trainer learns from, so that the trainer,
 * `twin eval`'s perplexity and serving all see the same tokens. The chat is rendered twice, with an
 * empty and with the given answer as the model's turn; the tokens after their common prefix, and
 * the end-of-turn token, are the answer's.
 */
export function chatAnswerTokens(
  model: Pick<LlamaModel, 'tokenizer' | 'tokens'>,
  chatWrapper: ChatWrapper,
  messages: readonly ChatMessage[],
  answer: string,
): ChatAnswerTokens {
  const { system, history, prompt } = splitConversation(messages);
  const chat: ChatHistoryItem[] = [
    ...(system ? [{ type: 'system' as const, text: system }] : []),
    ...history,
    { type: 'user', text: prompt },
  ];
  const render = (items: ChatHistoryItem[]) =>
    chatWrapper.generateContextState({ chatHistory: items }).contextText.tokenize(model.tokenizer);
  const asked = render([...chat, { type: 'model', response: [] }]);
  const answered = render([...chat, { type: 'model', response: [answer] }]);
  const answerStart = commonPrefixLength(asked, answered);
  const end = model.tokens.eot ?? model.tokens.eos;
  const tokens = [...answered, ...(end === null ? [] : [end])];
  if (answerStart === 0 || tokens.length <= answerStart)
    throw new ValidationError('the chat template gives this answer no tokens of its own to score');
  return { tokens, answerStart };
}

function commonPrefixLength(first: readonly Token[], second: readonly Token[]): number {
  let length = 0;
  while (length < first.length && length < second.length && first[length] === second[length]) length++;
  return length;
}
