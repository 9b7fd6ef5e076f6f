// Types for markdown.js, which the browser loads as it is (no build step), so Node tests can import it.

export type InlineNode =
  | { type: 'text'; text: string }
  | { type: 'break' }
  | { type: 'code'; text: string }
  | { type: 'strong' | 'emphasis'; children: InlineNode[] }
  | { type: 'link'; href: string; title: string | null; children: InlineNode[] }
  | { type: 'citation'; number: number };

export type BlockNode =
  | { type: 'paragraph'; children: InlineNode[] }
  | { type: 'heading'; level: number; children: InlineNode[] }
  | { type: 'code'; language: string; text: string }
  | { type: 'list'; ordered: boolean; start: number; loose: boolean; items: BlockNode[][] }
  | { type: 'quote'; children: BlockNode[] }
  | { type: 'rule' };

/** A source as the chat route lists it: `[index]` in the answer cites it. */
export interface Source {
  index: number;
  title?: string | null;
  url?: string | null;
}

/** The answer as DOM nodes made with `document`; model text only ever becomes text nodes. */
export function renderMarkdown(
  markdown: string,
  options: { document: Document; sources?: Source[] },
): DocumentFragment;

/** Replaces only the children of `container` that differ from `fragment`'s. */
export function updateChildren(container: Element, fragment: DocumentFragment): void;

export function parseBlocks(markdown: string): BlockNode[];
export function parseInline(text: string, options?: { links?: boolean }): InlineNode[];
/** The absolute URL when it is http, https or mailto; otherwise null. */
export function safeHref(url: string): string | null;
