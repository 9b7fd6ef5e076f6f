/**
 * inference/generation: the prompt (configs/prompts/), the generator that serves a registered model
 * version (core's model runner, core/models/open-model.ts, behind an extractive fallback), the
 * extractive generator for when there is no model, and a cache of loaded generators.
 *
 * Typical use in the API: `const generator = await cache.get(version)`, then
 * `const prompt = loadPromptTemplate().buildMessages({ authorName, question, history, sources },
 * generator.promptBudget)`, then `generator.stream({ messages: prompt.messages, grounding:
 * prompt.grounding, maxTokens, temperature })`, returning `prompt.sources` as the sources used.
 */
export type { BuildMessagesInput, BuiltPrompt, IncludedSource, PromptSourceText } from './build-messages.ts';
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
  TwinGenerator,
} from './twin-generator.ts';
export { withExtractiveFallback } from './with-extractive-fallback.ts';
