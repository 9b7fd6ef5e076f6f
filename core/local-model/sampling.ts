import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { type BpeTokenizer, specialTokens } from './bpe-tokenizer.ts';
import { ChatFormat } from './chat-format.ts';
import { createSeededRandom, type SeededRandom } from './seeded-random.ts';
import type { TransformerModel } from './transformer-model.ts';
import { Utf8StreamDecoder } from './utf8-stream-decoder.ts';

export const GenerationOptions = z.object({
  maxTokens: z.number().int().min(1).max(4096).default(200),
  /** 0 = greedy (always the most likely token). */
  temperature: z.number().min(0).max(5).default(0.8),
  /** Sample among the k most likely tokens; 0 = all. */
  topK: z.number().int().min(0).default(40),
  /** Nucleus sampling: the smallest set of tokens whose probability reaches topP. */
  topP: z.number().gt(0).max(1).default(1),
  /** Generation ends before the first occurrence of any of these; the stop text is not returned. */
  stop: z.array(z.string().min(1)).max(16).default([]),
  seed: z.number().int().nonnegative().optional(),
});
export type GenerationOptions = z.input<typeof GenerationOptions> & { signal?: AbortSignal };

export type FinishReason = 'eos' | 'stop' | 'length' | 'abort';
export type GenerationSummary = {
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
};

/**
 * Streams the model's answer to an instruction as decoded text pieces, token by token. Pieces are
 * always whole characters (see Utf8StreamDecoder) and never contain a stop string: text that
 * could be the start of one is held back until it is known not to be. The generator's return
 * value says why it ended. The context slides when the window is full: the model was trained on
 * windows that start mid-answer, so it keeps writing sensibly.
 */
export async function* generateTokens(
  model: TransformerModel,
  tokenizer: BpeTokenizer,
  instruction: string,
  options: GenerationOptions = {},
): AsyncGenerator<string, GenerationSummary> {
  const parsed = GenerationOptions.safeParse(options);
  if (!parsed.success) {
    throw new ValidationError(
      `invalid generation options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const settings = parsed.data;
  const { signal } = options;
  const contextLength = model.config.contextLength;
  const tokens = new ChatFormat(tokenizer, { contextLength }).formatPrompt(instruction);
  const promptTokens = tokens.length;
  const random = createSeededRandom(settings.seed ?? Math.floor(Math.random() * 2 ** 32));
  const decoder = new Utf8StreamDecoder();
  const stops = new StopMatcher(settings.stop);
  const summary = (finishReason: FinishReason): GenerationSummary => ({
    finishReason,
    promptTokens,
    completionTokens: tokens.length - promptTokens,
  });

  for (let produced = 0; produced < settings.maxTokens; produced++) {
    if (signal?.aborted) return summary('abort');
    const logits = model.nextTokenLogits(tokens.slice(Math.max(0, tokens.length - contextLength)));
    const next = sampleToken(logits, settings, random);
    if (next === specialTokens.eos) {
      const rest = stops.finish();
      if (rest) yield rest;
      return summary('eos');
    }
    tokens.push(next);
    const { text, stopped } = stops.push(decoder.push(tokenizer.bytes([next])));
    if (text) yield text;
    if (stopped) return summary('stop');
    // Let the event loop breathe between tokens: streamed responses flush, aborts arrive.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  decoder.finish();
  const rest = stops.finish();
  if (rest) yield rest;
  return summary(signal?.aborted ? 'abort' : 'length');
}

/**
 * Picks the next token from logits: greedy at temperature 0, else a draw from the temperature-
 * scaled softmax restricted to the top k and the top-p nucleus. Special tokens other than eos are
 * never drawn (the model never has to produce them). Ties go to the smaller id.
 */
export function sampleToken(
  logits: Float32Array,
  settings: { temperature: number; topK: number; topP: number },
  random: SeededRandom,
): number {
  const candidates: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    if (id === specialTokens.eos || id >= specialTokens.assistant + 1) candidates.push(id);
  }
  const score = (id: number) => logits[id] as number;
  candidates.sort((a, b) => score(b) - score(a) || a - b);
  if (settings.temperature === 0) return candidates[0] as number;
  const kept = settings.topK > 0 ? candidates.slice(0, settings.topK) : candidates;
  const top = score(kept[0] as number);
  const weights = kept.map((id) => Math.exp((score(id) - top) / settings.temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let cut = kept.length;
  if (settings.topP < 1) {
    let cumulative = 0;
    for (let index = 0; index < kept.length; index++) {
      cumulative += (weights[index] as number) / total;
      if (cumulative >= settings.topP) {
        cut = index + 1;
        break;
      }
    }
  }
  const nucleus = weights.slice(0, cut).reduce((sum, weight) => sum + weight, 0);
  let draw = random.next() * nucleus;
  for (let index = 0; index < cut; index++) {
    draw -= weights[index] as number;
    if (draw < 0) return kept[index] as number;
  }
  return kept[cut - 1] as number;
}

/**
 * The log-probability (natural log) the model gives each token of `answer`, and the eos after it,
 * as the reply to `instruction`: exactly the tokens and the values training's loss is made of.
 * Long answers are scored window by window exactly as they were trained.
 */
export function scoreAnswer(
  model: TransformerModel,
  tokenizer: BpeTokenizer,
  instruction: string,
  answer: string,
): { tokenLogProbabilities: number[] } {
  const format = new ChatFormat(tokenizer, { contextLength: model.config.contextLength });
  const tokenLogProbabilities: number[] = [];
  for (const window of format.toWindows(format.formatExample(instruction, answer))) {
    const length = window.ids.length - 1;
    const values = model.targetLogProbabilities(
      Int32Array.from(window.ids.slice(0, length)),
      Int32Array.from(window.ids.slice(1)),
    );
    values.forEach((value, position) => {
      if (window.lossMask[position + 1] === 1) tokenLogProbabilities.push(value);
    });
  }
  return { tokenLogProbabilities };
}

/** Holds back text that might be the beginning of a stop string until it is known not to be. */
class StopMatcher {
  private pending = '';
  private readonly stops: string[];

  constructor(stops: string[]) {
    this.stops = stops;
  }

  push(text: string): { text: string; stopped: boolean } {
    this.pending += text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      const before = this.pending.slice(0, cut);
      this.pending = '';
      return { text: before, stopped: true };
    }
    const hold = this.heldBack();
    const ready = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text: ready, stopped: false };
  }

  finish(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  /** Length of the longest end of `pending` that is a proper start of some stop string. */
  private heldBack(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, this.pending.length); length > longest; length--) {
        if (this.pending.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
