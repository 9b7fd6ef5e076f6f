/** A small but realistic article page for fixture sites; `paragraphs` become the article body. */
export function articlePage(options: {
  title: string;
  paragraphs: string[];
  author?: string;
  published?: string;
  extraHead?: string;
}): string {
  const meta = [
    options.author ? `<meta name="author" content="${options.author}">` : '',
    options.published ? `<meta property="article:published_time" content="${options.published}">` : '',
    options.extraHead ?? '',
  ].join('\n');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${options.title}</title>${meta}</head>
<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><article><h1>${options.title}</h1>${options.paragraphs.map((text) => `<p>${text}</p>`).join('\n')}</article></main>
<footer><p>Copyright notice for the whole site.</p></footer></body></html>`;
}
