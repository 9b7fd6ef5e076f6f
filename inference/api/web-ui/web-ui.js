// Helpers shared by the chat and models pages. Plain ES module, no dependencies: the pages must
// work offline, behind a strict Content-Security-Policy, with nothing fetched from elsewhere.

/**
 * Builds an element. Text is only ever inserted as text nodes (never as markup), so whatever a
 * model, a document title or a registry field contains is shown, not interpreted.
 * @param {string} tag
 * @param {Record<string, string | boolean | number | null | undefined>} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  append(node, ...children);
  return node;
}

/** An SVG element (namespaced), for the loss curves drawn in the page. */
export function svgElement(tag, attributes = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttributes(node, attributes);
  append(node, ...children);
  return node;
}

function setAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(node, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A link only for http(s) URLs: a `javascript:` URL from a crawled page must not become clickable. */
export function safeLink(url, text) {
  try {
    const parsed = new URL(url, location.href);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:')
      return element('a', { href: parsed.href, rel: 'noopener noreferrer', target: '_blank' }, text);
  } catch {
    // Not a URL: shown as text below.
  }
  return element('span', {}, text);
}

/** A key kept in browser storage (the API key in localStorage, the admin key in sessionStorage). */
export function storedKey(storage, name, input) {
  input.value = storage.getItem(name) ?? '';
  input.addEventListener('input', () => {
    const value = input.value.trim();
    if (value) storage.setItem(name, value);
    else storage.removeItem(name);
  });
  return {
    headers() {
      const value = input.value.trim();
      return value ? { authorization: `Bearer ${value}` } : {};
    },
    forget() {
      storage.removeItem(name);
      input.value = '';
    },
  };
}

/**
 * The message of a failed response. Every API route answers errors in OpenAI's shape
 * (`{ error: { message, type, code } }`); anything else (a proxy's HTML page) is summarised.
 * @param {Response} response
 */
export async function errorOf(response) {
  const text = await response.text().catch(() => '');
  let message = text.trim().slice(0, 300) || response.statusText || 'request failed';
  let code = null;
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error?.message === 'string') {
      message = body.error.message;
      code = body.error.code ?? null;
    }
  } catch {
    // Not JSON: keep the text.
  }
  const retry = response.headers.get('retry-after');
  const hint = response.status === 429 && retry ? ` Try again in ${retry} s.` : '';
  return `${response.status}${code ? ` ${code}` : ''}: ${message}${hint}`;
}

/**
 * Reads a `text/event-stream` body and calls `onData` with each event's data (multi-line data
 * joined by newlines), as the SSE format defines. Resolves when the stream ends.
 * @param {ReadableStream<Uint8Array>} body
 * @param {(data: string) => void} onData
 */
export async function readServerSentEvents(body, onData) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const flush = (block) => {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''));
    if (data.length > 0) onData(data.join('\n'));
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const blocks = buffer.split(/\r?\n\r?\n/);
    buffer = blocks.pop() ?? '';
    for (const block of blocks) flush(block);
  }
  if (buffer.trim()) flush(buffer);
}

/** Shows a message in a status or alert region; an empty message hides it. */
export function show(region, message) {
  region.textContent = message;
  region.hidden = !message;
}
