import { createSeededRandom } from '../../core/local-model/seeded-random.ts';

/**
 * A generated benchmark blog in the sample author's vocabulary: any number of realistic article
 * pages, byte-identical on every run (seeded by page number), so crawl and extraction benchmarks
 * have real work to do without shipping megabytes of fixtures.
 */

/** The public origin the static sample files use; the sample server rewrites it to its own. */
export const sampleBlogOrigin = 'https://noorhalvorsen.example';

const topics = [
  ['feature store', 'feature stores', 'the offline store', 'point-in-time joins'],
  ['model registry', 'aliases', 'a rollback', 'lineage'],
  ['training-serving skew', 'a skew check', 'one definition per feature', 'the serving path'],
  ['chunking', 'chunk boundaries', 'overlap', 'code chunks'],
  ['vector search', 'exact search', 'an HNSW index', 'filters'],
  ['retrieval evaluation', 'hit@3', 'labelled questions', 'MRR'],
  ['data versioning', 'content hashes', 'a feature set id', 'immutable datasets'],
  ['crawling', 'robots.txt', 'per-host delays', 'canonical URLs'],
  ['embeddings', 'an embedding model upgrade', 'a re-embedding backfill', 'the query embedder'],
  ['job queues', 'retries', 'idempotent workers', 'backoff'],
] as const;

const openers = [
  'Last year I watched a team lose a week to {b}.',
  'I used to think {a} was a solved problem.',
  'Every project I join has an argument about {a} in its first month.',
  'The first time {c} went wrong for me, it was a Friday, of course.',
  'Someone asked me on LinkedIn why I care so much about {a}.',
  'Here is a story about {d} that still makes me wince.',
];
const claims = [
  'The model is the easy part; {a} is where systems quietly fail.',
  'If you cannot explain {b} in one sentence, you do not have {b}, you have a hope.',
  'Boring is a feature, and {a} should be the most boring part of the system.',
  'Most problems with {c} are really problems with versions.',
  'What matters is not the tool behind {a}, but the contract it enforces.',
  'Treat {d} as part of the feature definition and version it like code.',
  'Nothing crashes when {c} drifts, which is exactly why it is dangerous.',
  'A number in CI beats a feeling in a design review, especially for {b}.',
];
const details = [
  'We measured it on {n} documents and the difference was {p} percent.',
  'It took {n} minutes to find once we had lineage, and an afternoon before.',
  'The fix was a {n}-line change and a test that compares offline and online values.',
  'Our dashboards were green the whole time; only {b} showed the problem.',
  'I wrote the rule on a sticky note: one definition, one clock, one version.',
  'Ask me how I know: I shipped the bug myself, at {m} minutes past midnight.',
  'The second run must give the same output as the first, or retries are not safe.',
  'Rolling back was one alias move, and it took {n} seconds.',
  'We kept the old version for a week, just in case, and deleted it after.',
  'The test picks edge cases on purpose: a late-evening order, another time zone, an empty history.',
];
const closers = [
  'Keep it boring.',
  'Version it, test it, and go home on time.',
  'Write it down, put it in CI, and stop relearning it.',
  'The sticky note version: one definition, versioned, checked.',
];
const commenters = ['Marta K.', 'dev_oskar', 'Priya R.', 'Tomás F.', 'Sanna V.', 'Lin'];
const codeSnippets = [
  'const featureSetId = sha256(canonicalJson({ cleaner, chunking, embedder }));',
  "registry alias set production --version 6 --reason 'rollback'",
  'assert offline == online, f"skew for {user.id}: {offline} != {online}"',
  'SELECT chunk_id FROM chunk_vectors WHERE feature_set = :fs ORDER BY distance LIMIT 10;',
];

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function fill(template: string, topic: readonly string[], random: Random): string {
  return template
    .replace(/\{([abcd])\}/g, (_, slot: string) => topic['abcd'.indexOf(slot)] ?? topic[0]!)
    .replace(/\{n\}/g, () => String(2 + Math.floor(random() * 90)))
    .replace(/\{m\}/g, () => String(1 + Math.floor(random() * 59)))
    .replace(/\{p\}/g, () => String(1 + Math.floor(random() * 20)));
}

function paragraph(random: Random, topic: readonly string[]): string {
  // Details drawn without replacement: a paragraph that repeats itself is a giveaway, even for a bench.
  const pool = [...details];
  const sentences = [fill(pick(random, claims), topic, random)];
  const count = 3 + Math.floor(random() * 3);
  for (let index = 0; index < count; index += 1) {
    const [detail] = pool.splice(Math.floor(random() * pool.length), 1);
    sentences.push(fill(detail!, topic, random));
  }
  return sentences.join(' ');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function benchDate(index: number): string {
  return new Date(Date.UTC(2023, 0, 1) + Math.round(index * 86_400_000 * 1.7)).toISOString();
}

/** The generated article for page `index` (1-based): title, date and body paragraphs. */
export function benchArticle(index: number) {
  const random = createSeededRandom(index * 2654435761).next;
  const topic = pick(random, topics);
  const title = `${capitalise(topic[0])}, part ${index}: ${pick(random, ['notes from production', 'what I would do again', 'the boring version', 'a field guide'])}`;
  const date = benchDate(index);
  const sections: { heading: string; paragraphs: string[] }[] = [];
  const intro = [fill(pick(random, openers), topic, random), paragraph(random, topic)].join(' ');
  const headings = [
    `Notes on ${topic[1]}`,
    `What went wrong with ${topic[2]}`,
    `How I handle ${topic[3]} now`,
  ];
  let words = intro.split(/\s+/).length;
  // Target 400-800 words; a seeded target keeps lengths varied but reproducible.
  const target = 420 + Math.floor(random() * 360);
  for (const heading of headings) {
    const paragraphs: string[] = [];
    do {
      const text = paragraph(random, pick(random, [topic, topic, pick(random, topics)]));
      paragraphs.push(text);
      words += text.split(/\s+/).length;
    } while (paragraphs.length < 2 && words < target);
    sections.push({ heading, paragraphs });
    if (words >= target) break;
  }
  return {
    title,
    date,
    topic: topic[0],
    intro,
    sections,
    closer: pick(random, closers),
    code: pick(random, codeSnippets),
  };
}

/** The full HTML page for bench article `index`, with the chrome a real blog has around it. */
export function benchArticlePage(index: number, count: number): string {
  const article = benchArticle(index);
  const canonical = `${sampleBlogOrigin}/bench/p/${index}.html`;
  const body = [
    `<p>${escapeHtml(article.intro)}</p>`,
    ...article.sections.flatMap((section, position) => [
      `<h2>${escapeHtml(section.heading)}</h2>`,
      ...section.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`),
      ...(position === 0 ? [`<pre><code>${escapeHtml(article.code)}</code></pre>`] : []),
    ]),
    `<p>${escapeHtml(article.closer)}</p>`,
  ].join('\n');
  const previous = index > 1 ? `<a rel="prev" href="${index - 1}.html">Previous</a>` : '';
  const next = index < count ? `<a rel="next" href="${index + 1}.html">Next</a>` : '';
  const commenter = commenters[index % commenters.length]!;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(article.title)} · Pipelines, Not Heroics</title>
<meta name="description" content="${escapeHtml(article.intro.slice(0, 150))}">
<meta name="author" content="Noor Halvorsen">
<link rel="canonical" href="${canonical}">
<meta property="og:type" content="article">
<meta property="og:title" content="${escapeHtml(article.title)}">
<meta property="og:url" content="${canonical}">
<meta property="og:site_name" content="Pipelines, Not Heroics">
<meta property="article:published_time" content="${article.date}">
<link rel="stylesheet" href="../../css/site.css">
</head>
<body>
<div id="cookie-banner" class="cookie-banner" role="dialog" aria-label="Cookie notice"><p>This site sets one cookie to remember that you closed this banner.</p><button type="button">OK, fine</button></div>
<header class="site-header"><a class="site-title" href="../../index.html">Pipelines, Not Heroics</a></header>
<nav class="site-nav" aria-label="Main"><ul><li><a href="../../index.html">Home</a></li><li><a href="../../about.html">About</a></li><li><a href="../sitemap.xml">Archive</a></li></ul></nav>
<main id="main">
<article class="post">
<header><h1>${escapeHtml(article.title)}</h1>
<p class="byline">By <a rel="author" href="../../about.html">Noor Halvorsen</a> · <time datetime="${article.date}">${article.date.slice(0, 10)}</time></p></header>
<div class="post-body">
${body}
<figure><img src="../../images/fti-pipelines.svg" alt="Feature, training and inference pipelines"><figcaption>The usual three pipelines.</figcaption></figure>
</div>
<footer class="post-footer"><p>Keep it boring. — Noor</p><nav>${previous} ${next}</nav></footer>
</article>
<section id="comments" class="comments"><h2>1 comment</h2>
<article class="comment"><header>${escapeHtml(commenter)}</header><p>Bookmarked, thank you. We are fighting exactly this with ${escapeHtml(article.topic)} right now.</p></article>
</section>
</main>
<footer class="site-footer"><p>© 2023–2025 Noor Halvorsen · <a href="../../feed.xml">RSS</a></p></footer>
</body>
</html>
`;
}

/** A sitemap listing the `count` bench pages. */
export function benchSitemap(count: number): string {
  const entries: string[] = [];
  for (let index = 1; index <= count; index += 1) {
    entries.push(
      `  <url><loc>${sampleBlogOrigin}/bench/p/${index}.html</loc><lastmod>${benchDate(index).slice(0, 10)}</lastmod></url>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</urlset>\n`;
}
