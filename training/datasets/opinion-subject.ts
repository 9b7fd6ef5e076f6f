import { lowerUnlessProperNoun } from './lower-unless-proper-noun.ts';

/** Verbs after which the rest of an opening sentence is a claim about its subject. */
const claim =
  /^(?<subject>[^,;:"'`()[\]{}*_#|<>]+?) (?:is|are|isn't|aren't|is not|are not|should|shouldn't|should not|must|beats|beat|matters|matter|belongs|belong|wins|win) \S/u;

const words = (list: string) => new Set(list.split(' '));

/** First words that point elsewhere ("It is…"), open a clause ("Once…") or name no topic ("Nobody…"). */
const notATopic = words(
  'it this that these those there here what which who whoever why how i we you they he she everything nothing something someone somebody nobody everyone everybody anyone each one all both neither either none most some many much such another other others and but or so if when once after before while since because although though even only just also still now then today yesterday tomorrow sometimes often usually maybe perhaps my our your their his her its',
);

/** "The fix is…", "The hard part is…": the subject is a placeholder, the topic is in the rest. */
const placeholderNouns = words(
  'fix key answer problem point trick catch lesson rule idea result reason thing things part question difference bug goal failure way truth secret good bad best worst first second last next usual real only same whole hard easy main other',
);

/** Determiners are lower-cased in the question ("A chunk is…" → "about a chunk"). */
const determiners = words('a an the every each no any');

/**
 * The topic of a paragraph that opens with a claim ("A feature store is a contract…" → "a feature
 * store"), or null when its first sentence is not a claim about a nameable subject. Short subjects
 * only: a long one is a clause, and a question built on it would read badly.
 */
export function opinionSubject(paragraph: string, documentText: string): string | null {
  const sentence = /^[^\n]+?[.!?](?=\s|$)/u.exec(paragraph.trim())?.[0];
  if (!sentence) return null;
  const subject = claim.exec(sentence)?.groups?.subject?.trim();
  if (!subject) return null;
  const parts = subject.split(/\s+/);
  const first = parts[0] ?? '';
  const lowered = parts.map((part) => part.toLowerCase());
  if (parts.length > 5 || notATopic.has(lowered[0] ?? '')) return null;
  if (!/^\p{Lu}/u.test(first) || /\d/.test(subject)) return null;
  // Relative clauses ("The failure mode I see most") make questions that read badly.
  if (lowered.slice(1).some((part) => ['i', 'we', 'you', 'that', 'which', 'who', 'when'].includes(part)))
    return null;
  if (determiners.has(lowered[0] ?? '')) {
    if (parts.length === 1 || placeholderNouns.has(lowered[1] ?? '')) return null;
    return [lowered[0], ...parts.slice(1)].join(' ');
  }
  return [lowerUnlessProperNoun(first, documentText), ...parts.slice(1)].join(' ');
}
