/**
 * inference/generation: the prompt (configs/prompts/), the generators behind core's Generator port
 * (local checkpoint, OpenAI-compatible endpoint, GGUF file, extractive fallback), the factory that
 * picks one per registered model version, and a cache of loaded generators.
 *
 * Typical use in the API: `const generator = await cache.get(version)`, then
 * `const prompt = loadPromptTemplate().buildMessages({ authorName, question, history, sources },
 * generator.promptBudget)`, then `generator.stream({ messages: prompt.messages, grounding:
 * prompt.grounding, maxTokens, temperature })`, returning `prompt.sources` as the sources used.
 */
export { approximatePromptBudget, approximatePromptTokens } from './approximate-prompt-budget.ts';
export type { BuildMessagesInput, BuiltPrompt, IncludedSource, PromptSourceText } from './build-messages.ts';
export { type CollectedStream, collectStream } from './collect-stream.ts';
export {
  type CreateGeneratorOptions,
  createGenerator,
  type GeneratorDependencies,
} from './create-generator.ts';
export { extractSentences } from './extract-sentences.ts';
export {
  ExtractiveGenerator,
  type ExtractiveGeneratorOptions,
  noGeneratorNotice,
} from './extractive-generator.ts';
export { GeneratorCache, type GeneratorCacheOptions } from './generator-cache.ts';
export { GgufGenerator, type GgufGeneratorOptions } from './gguf-generator.ts';
export { LocalModelGenerator, localInstruction } from './local-model-generator.ts';
export {
  OpenAICompatibleGenerator,
  type OpenAICompatibleGeneratorOptions,
} from './openai-compatible-generator.ts';
export {
  defaultPromptTemplatePath,
  loadPromptTemplate,
  PromptTemplate,
  type PromptTemplateText,
} from './prompt-template.ts';
export type {
  GroundedGenerationRequest,
  Grounding,
  GroundingSource,
  PromptBudget,
  TwinGenerator,
} from './twin-generator.ts';
export { withExtractiveFallback } from './with-extractive-fallback.ts';
