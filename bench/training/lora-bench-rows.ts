import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GgufVocabulary } from '../../core/models/gguf-vocabulary.ts';
import { sampleAuthorDirectory } from '../../datasets/sample-author/sample-author.ts';

/** One training row: a chat's tokens and the index of its answer's first token. */
export type LoraBenchRow = { tokens: number[]; answerStart: number };

/** Row lengths a twin's chats have: short answers to long posts, within the trainer's 512. */
export const loraBenchLengths = [128, 192, 256, 320, 384, 512] as const;

type Question = { question: string; expected: string; source: string };

/**
 * Real chats rendered by the model's own template: each of the sample author's blog questions
 * with an answer in her words (the opening of the post that answers it), cut at the first word
 * that brings the row to the wanted length. The tokens are what a trainer would see; what they
 * say does not change the time, their count does.
 */
export function loraBenchRows(vocabulary: GgufVocabulary): LoraBenchRow[] {
  const { questions } = JSON.parse(readFileSync(join(sampleAuthorDirectory, 'questions.json'), 'utf8')) as {
    questions: Question[];
  };
  const blog = questions.filter((question) => question.source === 'blog');
  return loraBenchLengths.map((length, index) => {
    const { question, expected } = blog[index % blog.length] as Question;
    const words = postText(expected).split(/\s+/);
    const render = (count: number) =>
      vocabulary.chatAnswerTokens([{ role: 'user', content: question }], words.slice(0, count).join(' '));
    // The longest answer whose row still fits: token counts grow with words, so bisect.
    let [low, high] = [1, words.length];
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (render(middle).tokens.length <= length) low = middle;
      else high = middle - 1;
    }
    const row = render(low);
    return { tokens: row.tokens, answerStart: row.answerStart };
  });
}

/** The paragraphs of a sample blog post (`/posts/x.html`) as plain text. */
function postText(path: string): string {
  const html = readFileSync(join(sampleAuthorDirectory, 'site', path), 'utf8');
  const article = html.slice(html.indexOf('<article'), html.lastIndexOf('</article>'));
  return [...article.matchAll(/<p[^>]*>([\s\S]*?)<\/p>/g)]
    .map((match) =>
      (match[1] as string)
        .replace(/<[^>]+>/g, '')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#39;|&rsquo;/g, '’')
        .replace(/&quot;/g, '"'),
    )
    .join('\n\n');
}
