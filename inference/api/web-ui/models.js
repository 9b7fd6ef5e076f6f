// The models page: the registry from /api/models (every version with its lineage, metrics, loss
// curve and aliases), with promote and rollback through the admin-only alias route.
import { element, errorOf, show, storedKey, svgElement } from './web-ui.js';

const registry = document.getElementById('registry');
const statusRegion = document.getElementById('status');
const errorRegion = document.getElementById('error');
// sessionStorage: the admin key lives as long as this tab, and is never sent anywhere but here.
const adminKey = storedKey(sessionStorage, 'twin.adminKey', document.getElementById('admin-key'));

document.getElementById('forget-admin-key').addEventListener('click', () => adminKey.forget());
document.getElementById('reload').addEventListener('click', () => void load());
void load();

async function load() {
  registry.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch('/api/models');
    if (!response.ok) throw new Error(await errorOf(response));
    render(await response.json());
  } catch (error) {
    show(errorRegion, `Could not load the registry: ${error.message}`);
  } finally {
    registry.setAttribute('aria-busy', 'false');
  }
}

function render({ versions, aliases }) {
  const names = [...new Set(versions.map((version) => version.name))].sort();
  if (names.length === 0) {
    registry.replaceChildren(
      element('p', {}, 'No model is registered yet: train one with `twin train`, or register one.'),
    );
    return;
  }
  registry.replaceChildren(
    ...names.map((name) => {
      const own = versions.filter((version) => version.name === name).sort((a, b) => b.version - a.version);
      const ownAliases = aliases.filter((alias) => alias.name === name);
      return renderModel(name, own, ownAliases);
    }),
  );
}

function renderModel(name, versions, aliases) {
  const byVersion = new Map(versions.map((version) => [version.version, version]));
  return element(
    'section',
    { class: 'model', 'data-name': name, 'aria-labelledby': `model-${name}` },
    element('h2', { id: `model-${name}` }, name),
    aliases.length === 0
      ? element('p', { class: 'hint' }, 'No alias points at a version of this model yet.')
      : element(
          'ul',
          { class: 'aliases' },
          ...aliases.map((alias) =>
            element(
              'li',
              { 'data-alias': alias.alias },
              element('strong', {}, alias.alias),
              ` → v${alias.version} `,
              element('span', { class: 'meta' }, `moved by ${alias.updatedBy} at ${when(alias.updatedAt)}`),
              ' ',
              button(`Roll back ${alias.alias}`, 'rollback', () =>
                moveAlias(name, { action: 'rollback', alias: alias.alias }),
              ),
            ),
          ),
        ),
    ...versions.map((version) =>
      renderVersion(
        version,
        byVersion,
        aliases.filter((alias) => alias.version === version.version),
      ),
    ),
  );
}

function renderVersion(version, byVersion, aliases) {
  const label = `${version.name}:${version.version}`;
  const aliasInput = element('input', {
    type: 'text',
    value: 'production',
    pattern: '[a-z][a-z0-9_\\-]{0,31}',
    required: true,
    class: 'alias-input',
  });
  const gate = element('input', { type: 'checkbox', class: 'gate-input' });
  return element(
    'article',
    { class: 'version', 'data-version': version.version, 'aria-label': label },
    element('h3', {}, label, ...aliases.map((alias) => element('span', { class: 'badge' }, alias.alias))),
    element(
      'dl',
      { class: 'fields' },
      ...field('Lineage', lineageOf(version, byVersion), 'lineage'),
      ...parentsData(version, byVersion),
      ...field('Backend', version.backend),
      ...field('Base model', version.baseModel ?? '—'),
      ...field('Dataset', version.datasetId ?? '—', 'dataset'),
      ...field('Feature set', version.featureSetId ?? '—', 'feature-set'),
      ...field('Artifact', artifactOf(version.artifact)),
      ...field('Hyper-parameters', JSON.stringify(version.hyperparameters), 'hyperparameters'),
      ...field('Created', `${when(version.createdAt)} by ${version.createdBy}`),
      ...(version.jobId ? field('Job', version.jobId) : []),
    ),
    metricsTable(version.metrics),
    lossCurve(version),
    element(
      'div',
      { class: 'promote', role: 'group', 'aria-label': `Promote ${label}` },
      element('label', {}, 'Alias ', aliasInput),
      element('label', {}, gate, ' gate on the evaluation against the alias’s version'),
      button(`Promote ${label}`, 'promote', () =>
        moveAlias(version.name, {
          action: 'promote',
          version: version.version,
          alias: aliasInput.value.trim(),
          gate: gate.checked,
        }),
      ),
    ),
  );
}

/** This version and its parents, newest first, each with the data it was trained on. */
function lineageOf(version, byVersion) {
  const chain = [];
  const seen = new Set();
  for (let current = version; current && !seen.has(current.version); ) {
    seen.add(current.version);
    chain.push(current);
    current = current.parentVersion === null ? undefined : byVersion.get(current.parentVersion);
  }
  const text = chain.map((item) => `v${item.version}`).join(' ← ');
  const missing = chain.at(-1)?.parentVersion;
  return missing && !byVersion.has(missing) ? `${text} ← v${missing} (missing)` : text;
}

/** What each parent was trained on, so a change of dataset or feature set along the chain shows. */
function parentsData(version, byVersion) {
  const parents = [];
  for (let parent = byVersion.get(version.parentVersion); parent && parents.length < 20; ) {
    parents.push(parent);
    parent = byVersion.get(parent.parentVersion);
  }
  if (parents.length === 0) return [];
  const lines = parents.map((parent) =>
    element(
      'li',
      {},
      `v${parent.version}: ${parent.datasetId ?? 'no dataset'} · ${parent.featureSetId ?? 'no feature set'}`,
    ),
  );
  return field('Parents trained on', element('ul', { class: 'plain' }, ...lines), 'parents');
}

function field(name, value, key) {
  return [element('dt', {}, name), element('dd', key ? { 'data-field': key } : {}, value)];
}

function metricsTable(metrics) {
  const entries = Object.entries(metrics).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return element('p', { class: 'hint' }, 'No evaluation metrics yet.');
  return element(
    'table',
    { class: 'metrics' },
    element('caption', {}, 'Evaluation metrics'),
    element(
      'thead',
      {},
      element('tr', {}, element('th', { scope: 'col' }, 'metric'), element('th', { scope: 'col' }, 'value')),
    ),
    element(
      'tbody',
      {},
      ...entries.map(([name, value]) =>
        element('tr', {}, element('th', { scope: 'row' }, name), element('td', {}, format(value))),
      ),
    ),
  );
}

/** The stored image when the backend wrote one, else the curve drawn from the stored points. */
function lossCurve(version) {
  const caption = element('figcaption', {}, 'Loss curve');
  if (version.lossCurveKey) {
    return element(
      'figure',
      { class: 'loss-curve' },
      element('img', {
        src: `/api/models/${encodeURIComponent(version.name)}/versions/${version.version}/loss-curve.svg`,
        alt: `Loss curve of ${version.name}:${version.version}`,
        width: 480,
        height: 240,
      }),
      caption,
    );
  }
  if (version.lossCurve.length < 2) return element('p', { class: 'hint' }, 'No loss curve recorded.');
  return element('figure', { class: 'loss-curve' }, drawCurve(version.lossCurve), caption);
}

function drawCurve(points) {
  const width = 480;
  const height = 240;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  const values = points.flatMap((point) => [point.trainLoss, point.validationLoss ?? point.trainLoss]);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const first = points[0].step;
  const last = points.at(-1).step;
  const x = (step) => pad.left + ((step - first) / (last - first || 1)) * (width - pad.left - pad.right);
  const y = (loss) => pad.top + (1 - (loss - low) / (high - low || 1)) * (height - pad.top - pad.bottom);
  const line = (selected, className) => {
    const coordinates = points
      .filter((point) => selected(point) !== null)
      .map((point) => `${x(point.step).toFixed(1)},${y(selected(point)).toFixed(1)}`);
    return coordinates.length < 2
      ? null
      : svgElement('polyline', { class: className, points: coordinates.join(' ') });
  };
  const final = points.at(-1);
  return svgElement(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': `Training loss from ${format(points[0].trainLoss)} to ${format(final.trainLoss)} over steps ${first}–${last}`,
    },
    svgElement('line', {
      class: 'axis',
      x1: pad.left,
      y1: height - pad.bottom,
      x2: width - pad.right,
      y2: height - pad.bottom,
    }),
    svgElement('line', { class: 'axis', x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom }),
    svgElement('text', { x: pad.left - 6, y: pad.top + 10, 'text-anchor': 'end' }, high.toPrecision(3)),
    svgElement('text', { x: pad.left - 6, y: height - pad.bottom, 'text-anchor': 'end' }, low.toPrecision(3)),
    svgElement('text', { x: pad.left, y: height - 8 }, `step ${first}`),
    svgElement('text', { x: width - pad.right, y: height - 8, 'text-anchor': 'end' }, `step ${last}`),
    line((point) => point.trainLoss, 'train'),
    line((point) => point.validationLoss, 'validation'),
    svgElement(
      'text',
      { class: 'train', x: width - pad.right, y: pad.top + 10, 'text-anchor': 'end' },
      'train',
    ),
    points.some((point) => point.validationLoss !== null)
      ? svgElement(
          'text',
          { class: 'validation', x: width - pad.right, y: pad.top + 24, 'text-anchor': 'end' },
          'validation',
        )
      : null,
  );
}

function button(text, action, onClick) {
  const node = element('button', { type: 'button', 'data-action': action }, text);
  node.addEventListener('click', async () => {
    node.disabled = true;
    try {
      await onClick();
    } finally {
      node.disabled = false;
    }
  });
  return node;
}

/** One alias move through the admin route; the gate's verdict or any refusal is shown as sent. */
async function moveAlias(name, body) {
  show(statusRegion, '');
  show(errorRegion, '');
  try {
    const response = await fetch(`/api/models/${encodeURIComponent(name)}/aliases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...adminKey.headers() },
      body: JSON.stringify({ ...body, movedBy: 'web-ui' }),
    });
    if (!response.ok) throw new Error(await errorOf(response));
    const { event } = await response.json();
    const from = event.fromVersion === null ? 'nothing' : `v${event.fromVersion}`;
    const verb =
      body.action === 'rollback' ? 'Rolled back' : body.gate ? 'Gate passed; promoted' : 'Promoted';
    show(statusRegion, `${verb}: ${name}@${event.alias} now points at v${event.toVersion} (was ${from}).`);
    await load();
  } catch (error) {
    show(errorRegion, `${body.action === 'rollback' ? 'Rollback' : 'Promotion'} refused: ${error.message}`);
  }
}

function artifactOf(artifact) {
  switch (artifact.kind) {
    case 'openai-compatible':
      return `${artifact.model} at ${artifact.baseUrl}`;
    case 'local':
      return `local checkpoint ${artifact.key}`;
    case 'gguf':
      return `GGUF ${artifact.path}`;
    default:
      return `${artifact.kind} ${artifact.path ?? ''}`;
  }
}

function format(value) {
  return Number.isInteger(value) ? String(value) : Number(value).toPrecision(4);
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 16);
}
