import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configsDirectory } from '../../core/config/load-config.ts';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import type { PromptBudget } from '../../core/ports/runnable-model.ts';
import {
  type BuildMessagesInput,
  type BuiltPrompt,
  buildMessages,
  type MessageRenderer,
  type PromptSourceText,
} from './build-messages.ts';
import { fillPlaceholders, placeholdersOf } from './fill-placeholders.ts';
import type { GroundingSource } from './twin-generator.ts';

/** configs/prompts/twin-chat.yaml: the prompt the API uses unless told otherwise. */
export const defaultPromptTemplatePath = join(configsDirectory, 'prompts', 'twin-chat.yaml');

const PromptTemplateFile = z
  .object({
    /** Recorded with every answer, so a wording change is traceable. */
    version: z.string().min(1),
    system: z.string().min(1),
    context: z.string().min(1),
    source: z.string().min(1),
    sourceSeparator: z.string(),
    noSources: z.string().min(1),
    user: z.string().min(1),
  })
  .strict();
export type PromptTemplateText = z.infer<typeof PromptTemplateFile>;

type Field = Exclude<keyof PromptTemplateText, 'version'>;

/** Which placeholders each field may use and which it must use; anything else is a typo. */
const placeholderRules: Record<Field, { allowed: string[]; required: string[] }> = {
  system: { allowed: ['authorName'], required: [] },
  context: { allowed: ['sources'], required: ['sources'] },
  source: { allowed: ['n', 'title', 'url', 'text'], required: ['n', 'text'] },
  sourceSeparator: { allowed: [], required: [] },
  noSources: { allowed: ['authorName'], required: [] },
  user: { allowed: ['context', 'question', 'authorName'], required: ['context', 'question'] },
};

/** The twin's chat prompt: a persona, numbered retrieved passages and the rules for citing them. */
export class PromptTemplate implements MessageRenderer {
  readonly version: string;
  /** The file it came from, or `inline`. */
  readonly origin: string;
  private readonly text: PromptTemplateText;

  private constructor(text: PromptTemplateText, origin: string) {
    this.text = text;
    this.version = text.version;
    this.origin = origin;
  }

  /** Validates a template given as an object (tests, tools); `origin` names it in errors. */
  static fromObject(input: unknown, origin = 'inline'): PromptTemplate {
    const parsed = PromptTemplateFile.safeParse(input);
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map((issue) => {
          const path = issue.path.join('.') || '(root)';
          const detail =
            issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
          return `${origin}: ${path}: ${detail}`;
        }),
      );
    }
    const problems: string[] = [];
    for (const [field, rule] of Object.entries(placeholderRules) as [
      Field,
      (typeof placeholderRules)[Field],
    ][]) {
      const used = placeholdersOf(parsed.data[field]);
      const unknown = used.filter((name) => !rule.allowed.includes(name));
      const missing = rule.required.filter((name) => !used.includes(name));
      if (unknown.length > 0)
        problems.push(
          `${origin}: ${field}: unknown placeholder(s) ${unknown.map((name) => `{${name}}`).join(', ')} (allowed: ${rule.allowed.map((name) => `{${name}}`).join(', ') || 'none'})`,
        );
      if (missing.length > 0)
        problems.push(
          `${origin}: ${field}: missing placeholder(s) ${missing.map((name) => `{${name}}`).join(', ')}`,
        );
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return new PromptTemplate(parsed.data, origin);
  }

  /** Reads and validates a YAML template file; every error names the file. */
  static fromFile(path: string): PromptTemplate {
    let yaml: string;
    try {
      yaml = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError([`cannot read prompt template ${path}: ${errorMessage(error)}`], {
        cause: error,
      });
    }
    let value: unknown;
    try {
      value = parseYaml(yaml);
    } catch (error) {
      throw new ConfigError([`${path}: invalid YAML: ${errorMessage(error)}`], { cause: error });
    }
    return PromptTemplate.fromObject(value, path);
  }

  /** The persona and rules, for engines that take a system prompt on its own. */
  renderSystem(authorName: string): string {
    return fillPlaceholders(this.text.system, { authorName }).trim();
  }

  /** The reader's message: the numbered passages (or the no-sources line) and the question. */
  renderUser(input: {
    authorName: string;
    question: string;
    sources: readonly GroundingSource[];
    omitContext?: boolean;
  }): string {
    const context = input.omitContext
      ? ''
      : input.sources.length === 0
        ? fillPlaceholders(this.text.noSources, { authorName: input.authorName })
        : fillPlaceholders(this.text.context, {
            sources: input.sources
              .map((source) =>
                fillPlaceholders(this.text.source, {
                  n: String(source.number),
                  title: source.title,
                  url: source.url,
                  text: source.text,
                }),
              )
              .join(this.text.sourceSeparator),
          });
    return fillPlaceholders(this.text.user, {
      context: context.trim(),
      question: input.question.trim(),
      authorName: input.authorName,
    }).trim();
  }

  /**
   * The messages for one question: system prompt, recent history, and a user message with as many
   * of the ranked sources as the budget allows (whole, except possibly the last, which is cut at a
   * word). Returns which sources went in, numbered as cited, so the API can show exactly those.
   */
  buildMessages<S extends PromptSourceText>(
    input: BuildMessagesInput<S>,
    budget?: PromptBudget,
  ): BuiltPrompt<S> {
    return buildMessages(this, input, budget);
  }
}

const loaded = new Map<string, PromptTemplate>();

/** The template at `path` (default: configs/prompts/twin-chat.yaml), read and validated once per process. */
export function loadPromptTemplate(path: string = defaultPromptTemplatePath): PromptTemplate {
  const absolute = resolve(path);
  let template = loaded.get(absolute);
  if (!template) {
    template = PromptTemplate.fromFile(absolute);
    loaded.set(absolute, template);
  }
  return template;
}
