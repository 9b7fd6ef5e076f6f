import { ValidationError } from '../../core/errors.ts';
import { approximatePromptBudget } from '../../core/models/approximate-prompt-budget.ts';
import type { ChatMessage } from '../../core/ports/generator.ts';
import type { PromptBudget } from '../../core/ports/runnable-model.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import type { Grounding, GroundingSource } from './twin-generator.ts';

/** What a retrieved passage must have to be cited; retrieval's ChunkPayload fits. */
export type PromptSourceText = { title: string; url: string; text: string };

export type BuildMessagesInput<S extends PromptSourceText> = {
  authorName: string;
  question: string;
  /** Earlier turns of the conversation, oldest first; system messages in it are ignored. */
  history?: readonly ChatMessage[];
  /** Retrieved passages, best first. */
  sources: readonly S[];
  /**
   * The registered model's name. Chat models fine-tuned by the training pipeline were trained
   * with `twinSystemPrompt(name)` as their system prompt, so it is put first when given.
   */
  modelName?: string;
};

export type IncludedSource<S> = {
  /** The number the prompt cites it by. */
  number: number;
  source: S;
  /** Cut at a word to fit the budget. */
  trimmed: boolean;
};

export type BuiltPrompt<S> = {
  messages: ChatMessage[];
  /** Exactly the sources in the prompt, in citation order. */
  sources: IncludedSource<S>[];
  grounding: Grounding;
  /** As the budget measures the messages (an estimate when no budget was given). */
  promptTokens: number;
  /** Earlier turns kept. */
  historyMessages: number;
};

/** The rendering half of a prompt template (see PromptTemplate). */
export interface MessageRenderer {
  renderSystem(authorName: string): string;
  renderUser(input: {
    authorName: string;
    question: string;
    sources: readonly GroundingSource[];
    /** No passage fits the budget although some were retrieved: say nothing rather than "none found". */
    omitContext?: boolean;
  }): string;
}

/** History may take at most this share of the budget: the author's passages matter more than old turns. */
const historyShare = 0.25;
/** A passage cut shorter than this says too little to be worth its header. */
const minimumTrimmedWords = 8;

/**
 * Assembles system prompt, recent history and the user message, adding ranked sources whole while
 * the budget allows and cutting the first one that does not fit (if enough of it fits), then
 * stopping: a model reads better from fewer whole passages than from many fragments.
 */
export function buildMessages<S extends PromptSourceText>(
  renderer: MessageRenderer,
  input: BuildMessagesInput<S>,
  budget: PromptBudget = approximatePromptBudget(Number.POSITIVE_INFINITY),
): BuiltPrompt<S> {
  const question = input.question.trim();
  if (!question) throw new ValidationError('cannot build a prompt for an empty question');
  const authorName = input.authorName.trim();
  if (!authorName) throw new ValidationError('cannot build a prompt without the author’s name');
  const system = [input.modelName ? twinSystemPrompt(input.modelName) : '', renderer.renderSystem(authorName)]
    .filter(Boolean)
    .join('\n\n');
  const assemble = (
    history: ChatMessage[],
    sources: GroundingSource[],
    omitContext = false,
  ): ChatMessage[] => [
    { role: 'system', content: system },
    ...history,
    { role: 'user', content: renderer.renderUser({ authorName, question, sources, omitContext }) },
  ];
  const fits = (messages: ChatMessage[]) => budget.measure(messages) <= budget.maxPromptTokens;

  const turns = (input.history ?? []).filter(
    (message) => message.role !== 'system' && message.content.trim(),
  );
  const bare = budget.measure(assemble([], []));
  let history: ChatMessage[] = [];
  for (let index = turns.length - 1; index >= 0; index--) {
    const candidate = [turns[index] as ChatMessage, ...history];
    const messages = assemble(candidate, []);
    if (!fits(messages) || budget.measure(messages) - bare > historyShare * budget.maxPromptTokens) break;
    history = candidate;
  }
  // Chat templates expect the user to speak first.
  while (history[0]?.role === 'assistant') history = history.slice(1);

  const included: GroundingSource[] = [];
  const used: IncludedSource<S>[] = [];
  for (const source of input.sources) {
    const text = source.text.trim();
    if (!text) continue;
    const whole: GroundingSource = {
      number: included.length + 1,
      title: source.title,
      url: source.url,
      text,
    };
    if (fits(assemble(history, [...included, whole]))) {
      included.push(whole);
      used.push({ number: whole.number, source, trimmed: false });
      continue;
    }
    const cut = trimToFit(text, (candidate) =>
      fits(assemble(history, [...included, { ...whole, text: candidate }])),
    );
    if (cut !== null) {
      included.push({ ...whole, text: cut });
      used.push({ number: whole.number, source, trimmed: true });
    }
    break;
  }

  const omitContext = included.length === 0 && input.sources.length > 0;
  const messages = assemble(history, included, omitContext);
  return {
    messages,
    sources: used,
    grounding: { question, sources: included },
    promptTokens: budget.measure(messages),
    historyMessages: history.length,
  };
}

/** The longest word-boundary prefix of `text` (marked with an ellipsis) that `fits`, or null. */
function trimToFit(text: string, fits: (candidate: string) => boolean): string | null {
  const ends = [...text.matchAll(/\S+/g)].map((match) => match.index + match[0].length);
  const prefix = (words: number) => `${text.slice(0, ends[words - 1])} …`;
  if (ends.length <= minimumTrimmedWords || !fits(prefix(minimumTrimmedWords))) return null;
  let low = minimumTrimmedWords;
  let high = ends.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(prefix(middle))) low = middle;
    else high = middle - 1;
  }
  return prefix(low);
}
