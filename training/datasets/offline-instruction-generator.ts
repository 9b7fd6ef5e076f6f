import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import { fillTemplate } from './fill-template.ts';
import { lowerUnlessProperNoun } from './lower-unless-proper-noun.ts';
import { type MarkdownBlock, markdownBlocks } from './markdown-blocks.ts';
import { opinionSubject } from './opinion-subject.ts';
import { leadingCodeComment, parseRepositoryFile } from './repository-file.ts';
import { truncateAtParagraph } from './truncate-at-paragraph.ts';

/** Bump when a rule or template changes: it is part of every offline recipe, hence of dataset ids. */
export const offlineGeneratorVersion = 'offline-v1';

/**
 * Every instruction template of the offline generator, keyed by the `kind` its pairs get. The map
 * is recorded in the dataset recipe. Instructions speak to the author ("your article") so that a
 * chat model learns to answer as the author, not about the author.
 */
export const offlinePrompts = {
  'title-to-article': 'Write an article titled "{title}".',
  'heading-to-section': 'Write the section "{heading}" of your article "{title}".',
  'hashtags-to-post': 'Write a {platform} post about {topic}.',
  'opening-to-post': 'Write a {platform} post that opens with: "{opening}"',
  'readme-to-summary': 'Summarise your {repository} repository.',
  'heading-to-doc-section': 'Write the section "{heading}" of {path} in your {repository} repository.',
  'path-to-code': 'Write {path} for your {repository} repository.',
  'path-to-explanation': 'Explain what {path} in your {repository} repository is for.',
  'subject-to-opinion': 'What do you think about {subject}?',
} as const;
export type OfflineKind = keyof typeof offlinePrompts;

export type OfflineGeneratorOptions = {
  /** Answers longer than this are cut at a paragraph boundary. */
  maxAnswerCharacters: number;
  /** At most this many opinion questions per document, so long articles do not dominate. */
  maxOpinionsPerDocument?: number;
};

const platformNames: Record<CleanedDocument['platform'], string> = {
  linkedin: 'LinkedIn',
  medium: 'Medium',
  substack: 'Substack',
  devto: 'dev.to',
  github: 'GitHub',
  web: 'blog',
};

const markdownFile = /\.(md|mdx|markdown|rst|txt)$/i;

/**
 * Instruction/answer pairs taken from the documents' own structure, with no model involved: the
 * answer is always the author's own text, so nothing here can invent an opinion. The output is a
 * pure function of the documents and options (documents are visited in id order).
 */
export function generateOfflineInstructions(
  documents: readonly CleanedDocument[],
  options: OfflineGeneratorOptions,
): InstructionExample[] {
  const sorted = [...documents].sort((a, b) => (a.documentId < b.documentId ? -1 : 1));
  return sorted.flatMap((document) => {
    const pairs = pairsOf(document, options);
    return pairs.map(({ kind, values, answer, markdown }) => ({
      instruction: fillTemplate(offlinePrompts[kind], values),
      answer: truncateAtParagraph(answer, options.maxAnswerCharacters, { markdown }),
      kind,
      sourceDocumentId: document.documentId,
    }));
  });
}

type Pair = { kind: OfflineKind; values: Record<string, string>; answer: string; markdown: boolean };

function pairsOf(document: CleanedDocument, options: OfflineGeneratorOptions): Pair[] {
  const text = document.text.trim();
  if (!text) return [];
  const maxOpinions = options.maxOpinionsPerDocument ?? 3;
  switch (document.category) {
    case 'article': {
      const blocks = markdownBlocks(text);
      const title = document.title.trim();
      return [
        ...(title ? [prose('title-to-article', { title }, text)] : []),
        ...sectionsOf(blocks).map((section) =>
          prose('heading-to-section', { heading: section.heading, title: title || 'untitled' }, section.text),
        ),
        ...opinionsOf(blocks, text, maxOpinions),
      ];
    }
    case 'post':
      return [postPair(document, text)];
    case 'repository': {
      const file = parseRepositoryFile(document);
      if (markdownFile.test(file.path)) {
        const blocks = markdownBlocks(text);
        const where = { repository: file.repository, path: file.path };
        const opening = readmeOpening(blocks);
        return [
          ...(/^readme\b/i.test(file.name) && opening
            ? [prose('readme-to-summary', { repository: file.repository }, opening)]
            : []),
          ...sectionsOf(blocks).map((section) =>
            prose('heading-to-doc-section', { ...where, heading: section.heading }, section.text),
          ),
          ...opinionsOf(blocks, text, maxOpinions),
        ];
      }
      if (!file.isCode) return [];
      const values = { repository: file.repository, path: file.path };
      const comment = leadingCodeComment(text);
      return [
        { kind: 'path-to-code', values, answer: text, markdown: false },
        ...(comment ? [prose('path-to-explanation', values, comment)] : []),
      ];
    }
    default: {
      const unreachable: never = document.category;
      throw new Error(`unknown category ${String(unreachable)}`);
    }
  }
}

function prose(kind: OfflineKind, values: Record<string, string>, answer: string): Pair {
  return { kind, values, answer, markdown: true };
}

/**
 * A section is a heading and everything up to the next heading of the same or a higher level, so
 * a `##` section includes its `###` subsections. A heading that opens the text is the document's
 * title or subtitle, not a section.
 */
function sectionsOf(blocks: readonly MarkdownBlock[]): { heading: string; text: string }[] {
  const firstContent = blocks.findIndex((block) => block.type !== 'heading');
  const sections: { heading: string; text: string }[] = [];
  blocks.forEach((block, index) => {
    if (block.type !== 'heading' || index < firstContent || firstContent === -1) return;
    const body: MarkdownBlock[] = [];
    for (const next of blocks.slice(index + 1)) {
      if (next.type === 'heading' && next.level <= block.level) break;
      body.push(next);
    }
    const text = body.map((entry) => entry.raw).join('\n\n');
    if (text.trim()) sections.push({ heading: block.text, text });
  });
  return sections;
}

/** The part of a README before its first section: what the author says the repository is. */
function readmeOpening(blocks: readonly MarkdownBlock[]): string {
  const opening: MarkdownBlock[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'heading') {
      if (index === 0 && block.level === 1) continue;
      break;
    }
    opening.push(block);
  }
  return opening.map((block) => block.raw).join('\n\n');
}

/** "What do you think about X?" for paragraphs that open with a claim about X. */
function opinionsOf(blocks: readonly MarkdownBlock[], text: string, max: number): Pair[] {
  const pairs: Pair[] = [];
  const seen = new Set<string>();
  for (const [index, block] of blocks.entries()) {
    if (pairs.length >= max) break;
    if (block.type !== 'paragraph') continue;
    const subject = opinionSubject(block.raw, text);
    if (!subject || seen.has(subject.toLowerCase())) continue;
    seen.add(subject.toLowerCase());
    // "Its id is a hash of:" announces the list or code that follows; the answer needs both.
    const next = blocks[index + 1];
    const answer =
      block.raw.trimEnd().endsWith(':') && next && next.type !== 'heading'
        ? `${block.raw}\n\n${next.raw}`
        : block.raw;
    pairs.push(prose('subject-to-opinion', { subject }, answer));
  }
  return pairs;
}

function postPair(document: CleanedDocument, text: string): Pair {
  const platform = platformNames[document.platform];
  const hashtags = [...text.matchAll(/(?:^|\s)#([\p{L}\p{N}_]+)/gu)].map((match) =>
    hashtagTopic(match[1] as string, text),
  );
  const topics = [...new Set(hashtags)].filter((topic) => !/^\d+$/.test(topic));
  if (topics.length > 0)
    return prose('hashtags-to-post', { platform: `${platform}`, topic: listOf(topics) }, text);
  const opening = firstSentence(text);
  return prose('opening-to-post', { platform, opening }, text);
}

/**
 * `#VectorSearch` → "vector search", `#OnCall` → "on-call" when the post spells it so, `#Oslo`
 * stays a name, `#MLOps` and `#RAG` keep their capitals. Tags of short fragments (`#DevOps`) are
 * kept whole rather than split into "dev ops".
 */
function hashtagTopic(tag: string, text: string): string {
  const parts = tag
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean);
  if (parts.length > 1) {
    const pattern = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[-\\s]?');
    const spelled = new RegExp(`(?<![#\\p{L}])${pattern}(?!\\p{L})`, 'iu').exec(text)?.[0];
    if (spelled) return spelled.replace(/\p{L}+/gu, (word) => lowerUnlessProperNoun(word, text));
    if (parts.some((part) => part.length <= 3)) return tag;
  }
  return parts.map((part) => lowerUnlessProperNoun(part, text)).join(' ');
}

function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function firstSentence(text: string): string {
  const line = (text.split('\n').find((entry) => entry.trim()) ?? '').trim();
  const match = /^.+?[.!?](?=\s|$)/u.exec(line);
  return (match ? match[0] : line).slice(0, 200);
}
