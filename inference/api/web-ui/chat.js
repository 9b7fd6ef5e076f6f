// The chat page: asks /v1/chat/completions with `stream: true` and renders the SSE chunks as they
// arrive. The first chunk carries the sources and the serving version (`sources`, `twin`), so they
// are shown before the answer finishes. The answer is Markdown, re-rendered as it grows, with its
// `[n]` citations linked to those sources.
import { renderMarkdown, updateChildren } from './markdown.js';
import { element, errorOf, readServerSentEvents, safeLink, show, storedKey } from './web-ui.js';

const form = document.getElementById('ask');
const questionBox = document.getElementById('question');
const modelSelect = document.getElementById('model');
const sendButton = document.getElementById('send');
const stopButton = document.getElementById('stop');
const conversation = document.getElementById('conversation');
const errorRegion = document.getElementById('error');
const statusRegion = document.getElementById('chat-status');
const apiKey = storedKey(localStorage, 'twin.apiKey', document.getElementById('api-key'));

/** The conversation so far, sent whole with every question (the server keeps no session). */
const messages = [];
let running = null;

document.getElementById('forget-key').addEventListener('click', () => apiKey.forget());
document.getElementById('new-conversation').addEventListener('click', () => {
  running?.abort();
  messages.length = 0;
  conversation.replaceChildren();
  show(errorRegion, '');
});
stopButton.addEventListener('click', () => running?.abort());
// A citation opens its source in a new tab (its link does that) and points at it in the list below.
conversation.addEventListener('click', (event) => {
  const citation = event.target.closest?.('.citation[data-source]');
  const item = citation
    ?.closest('.message')
    ?.querySelector(`.sources li[data-source="${Number(citation.dataset.source)}"]`);
  if (!item) return;
  for (const cited of conversation.querySelectorAll('.sources li.cited')) cited.classList.remove('cited');
  item.classList.add('cited');
  item.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
});
questionBox.addEventListener('keydown', (event) => {
  // Enter sends, Shift+Enter is a new line, as in most chat boxes.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const question = questionBox.value.trim();
  if (!question || running) return;
  void ask(question);
});

void loadModels();

/** Fills the selector from /v1/models, keeping `twin` (the production alias) as the default. */
async function loadModels() {
  try {
    const response = await fetch('/v1/models', { headers: apiKey.headers() });
    if (!response.ok) throw new Error(await errorOf(response));
    const { data } = await response.json();
    const ids = data.map((model) => model.id);
    if (ids.length === 0) return;
    const chosen = ids.includes(modelSelect.value) ? modelSelect.value : ids[0];
    modelSelect.replaceChildren(...ids.map((id) => element('option', { value: id }, id)));
    modelSelect.value = chosen;
  } catch (error) {
    show(errorRegion, `Could not list the models (${error.message}); asking “twin”.`);
  }
}

async function ask(question) {
  show(errorRegion, '');
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  const sent = [...messages, { role: 'user', content: question }];
  const userTurn = element(
    'div',
    { class: 'message user' },
    element('p', { class: 'who' }, 'You'),
    element('p', { class: 'text' }, question),
  );
  const answer = element('div', { class: 'text answer markdown' });
  const version = element('span', { class: 'model-version' }, '…');
  const sources = element('section', { class: 'sources', hidden: true, 'aria-label': 'Sources' });
  const turn = element(
    'div',
    { class: 'message assistant', 'data-state': 'waiting', 'aria-busy': 'true' },
    element('p', { class: 'who' }, 'Twin · answered by ', version),
    answer,
    sources,
  );
  let text = '';
  let listed = [];
  let finished = false;
  // Chunks arrive faster than frames: render at most once per frame, and once more at the end.
  let frame = 0;
  const render = () => {
    cancelAnimationFrame(frame);
    frame = 0;
    updateChildren(answer, renderMarkdown(text, { document, sources: listed }));
  };
  const scheduleRender = () => {
    frame ||= requestAnimationFrame(render);
  };
  try {
    const response = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...apiKey.headers() },
      body: JSON.stringify({ model: modelSelect.value, messages: sent, stream: true }),
      signal: controller.signal,
    });
    // Refused requests leave the question in the box and the conversation unchanged: nothing is lost.
    if (!response.ok || !response.body) throw new Error(await errorOf(response));
    conversation.append(userTurn, turn);
    questionBox.value = '';
    statusRegion.textContent = 'The twin is answering…';
    await readServerSentEvents(response.body, (data) => {
      if (data === '[DONE]') {
        finished = true;
        return;
      }
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message ?? 'the answer failed');
      if (chunk.twin?.model_version) {
        version.textContent = chunk.twin.model_version;
        version.title = `feature set ${chunk.twin.feature_set} · generator ${chunk.twin.generator}`;
      }
      if (Array.isArray(chunk.sources)) {
        listed = chunk.sources;
        renderSources(sources, listed, chunk.twin?.retrieved ?? 0);
        scheduleRender();
      }
      const piece = chunk.choices?.[0]?.delta?.content;
      if (piece) {
        text += piece;
        scheduleRender();
        turn.dataset.state = 'streaming';
      }
    });
    turn.dataset.state = finished ? 'done' : 'incomplete';
    statusRegion.textContent = `Answer from ${version.textContent} finished, with ${sources.querySelectorAll('li').length} sources.`;
    if (!finished) show(errorRegion, 'The answer stopped before the server finished it.');
  } catch (error) {
    statusRegion.textContent = '';
    if (controller.signal.aborted) turn.dataset.state = 'stopped';
    else {
      turn.dataset.state = 'failed';
      show(errorRegion, error.message);
    }
  } finally {
    render();
    turn.removeAttribute('aria-busy');
    // What was shown stays in the history, even a stopped answer: it is what the user saw.
    if (turn.isConnected)
      messages.push({ role: 'user', content: question }, { role: 'assistant', content: text });
    running = null;
    setBusy(false);
  }
}

function renderSources(region, sources, retrieved) {
  if (sources.length === 0) {
    const why =
      retrieved > 0
        ? `${retrieved} passages were retrieved, but none fit in this model’s context window, so the answer is not grounded in them.`
        : 'No sources were found for this question.';
    region.replaceChildren(element('p', { class: 'hint' }, why));
  } else {
    region.replaceChildren(
      element('h2', {}, 'Sources'),
      element(
        'ol',
        {},
        ...sources.map((source) =>
          element(
            'li',
            { value: source.index, 'data-source': source.index },
            safeLink(source.url, source.title || source.url),
            ' ',
            element(
              'span',
              { class: 'meta' },
              `${source.platform ?? ''} · score ${Number(source.score).toFixed(3)}`,
            ),
          ),
        ),
      ),
    );
  }
  region.hidden = false;
}

function setBusy(busy) {
  sendButton.disabled = busy;
  stopButton.disabled = !busy;
  conversation.setAttribute('aria-busy', String(busy));
}
