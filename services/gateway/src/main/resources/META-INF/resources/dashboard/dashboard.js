// The dashboard: the /v1 API seen through the caller's key, refreshed every second. No framework and no build
// step: the gateway serves these three files as they are. The key stays in this tab (sessionStorage).
'use strict';

const REFRESH_MS = 1000;
const state = { key: sessionStorage.getItem('flowreel.key') || '', batch: null };

const $ = (selector, root = document) => root.querySelector(selector);
const el = (tag, { dataset = {}, ...props } = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset); // dataset itself cannot be assigned
  children.forEach((c) => node.append(c));
  return node;
};

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: Object.assign({ Authorization: `Bearer ${state.key}` },
      body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${json.reason || text}`);
  }
  return json;
}

function say(message) {
  $('#status').textContent = message || '';
}

function bar(fraction) {
  return el('div', { className: 'bar', title: `${Math.round(fraction * 100)}%` },
    el('div', { style: `width: ${Math.round(fraction * 100)}%` }));
}

function renderStages(stages) {
  const body = $('#stages tbody');
  body.replaceChildren(...stages.map((s) => el('tr', { dataset: { stage: s.stage } },
    el('td', { textContent: s.stage }), el('td', { textContent: s.waiting }),
    el('td', { textContent: s.admitted }), el('td', { textContent: s.workers }))));
}

function renderBatches(batches) {
  const body = $('#batches tbody');
  body.replaceChildren(...batches.map((b) => {
    const row = el('tr', { dataset: { batch: b.id }, className: b.id === state.batch ? 'selected' : '' },
      el('td', { textContent: b.id }), el('td', { textContent: (b.createdAt || '').replace('T', ' ').slice(0, 19) }),
      el('td', {}, bar(b.total ? b.done / b.total : 0)), el('td', { textContent: b.queued }),
      el('td', { textContent: b.running }), el('td', { textContent: b.succeeded }),
      el('td', { textContent: b.failed }), el('td', { textContent: b.cancelled }),
      el('td', { textContent: `${b.done} of ${b.total} done` }));
    row.addEventListener('click', () => select(b.id));
    return row;
  }));
}

// Cards are kept and updated in place, so a playing video or a loaded poster is not reloaded every second.
function jobCard(job) {
  let card = $(`.job[data-job="${job.id}"]`);
  if (!card) {
    card = el('div', { className: 'job', dataset: { job: job.id } },
      el('div', { className: 'id', textContent: job.id.slice(-6) }), el('div', { className: 'prompt' }),
      el('div', { className: 'state' }), el('div', { className: 'where' }), el('div', { className: 'progress' }),
      el('div', { className: 'error' }), el('div', { className: 'media' }), el('div', { className: 'buttons' }));
    $('#jobs').append(card);
  }
  card.className = `job ${job.state}`;
  $('.prompt', card).textContent = job.prompt || '';
  $('.state', card).textContent = job.state + (job.paused ? ' (paused)' : '');
  const step = (job.stages || []).find((s) => s.stage === job.stage);
  $('.where', card).textContent = job.state === 'RUNNING' || job.state === 'QUEUED'
    ? `${(job.stage || '').toLowerCase()}${step && step.step != null ? ` step ${step.step} of ${step.totalSteps}` : ''}`
    : '';
  $('.progress', card).replaceChildren(bar(job.progress || 0));
  $('.error', card).textContent = job.error || '';
  const media = $('.media', card);
  const outputs = Object.fromEntries((job.outputs || []).map((o) => [o.name, o.url]));
  if (outputs.video && !$('video', media)) {
    media.replaceChildren(el('img', { src: outputs.poster, alt: `poster of ${job.id}` }),
      el('video', { src: outputs.video, controls: true, loop: true, muted: true }));
  }
  const buttons = $('.buttons', card);
  const wanted = job.state === 'QUEUED' || job.state === 'RUNNING' ? ['cancel']
    : job.state === 'FAILED' || job.state === 'CANCELLED' ? ['retry'] : [];
  if (buttons.dataset.shown !== wanted.join()) {
    buttons.dataset.shown = wanted.join();
    buttons.replaceChildren(...wanted.map((action) => {
      const button = el('button', { textContent: action === 'cancel' ? 'Cancel' : 'Retry',
        className: action === 'cancel' ? 'danger' : '', dataset: { jobAction: action } });
      button.addEventListener('click', () => act(`/v1/jobs/${job.id}/${action}`));
      return button;
    }));
  }
}

async function act(path, body) {
  try {
    await api('POST', path, body === undefined ? {} : body);
    say('');
    await refresh();
  } catch (e) {
    say(e.message);
  }
}

function select(batchId) {
  state.batch = batchId;
  $('#batch-section').hidden = false;
  $('#batch-id').textContent = batchId;
  $('#jobs').replaceChildren();
  refresh();
}

async function refresh() {
  if (!state.key) {
    say('enter an API key');
    return;
  }
  try {
    const [batches, stages] = await Promise.all([api('GET', '/v1/batches?limit=20'),
      api('GET', '/v1/stages').catch(() => null)]);
    renderBatches(batches.batches || []);
    if (stages) {
      renderStages(stages);
    }
    $('#stages-section').hidden = !stages;
    if (state.batch) {
      const page = await api('GET', `/v1/batches/${state.batch}/jobs?limit=100`);
      (page.jobs || []).forEach(jobCard);
    }
    say('');
  } catch (e) {
    say(e.message);
  }
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.key = $('#key').value.trim();
  sessionStorage.setItem('flowreel.key', state.key);
  refresh();
});
document.querySelectorAll('[data-batch-action]').forEach((button) => button.addEventListener('click', () => {
  const action = button.dataset.batchAction;
  act(`/v1/batches/${state.batch}/${action}`,
    action === 'priority' ? { priority: Number($('#priority').value) } : undefined);
}));
$('#key').value = state.key;
refresh();
setInterval(refresh, REFRESH_MS);
