// vmms-emu dashboard: renders the fabric from the control API's server-sent events (no build step,
// no framework). `state` events carry the whole picture; `request` and `injected` events arrive
// one by one between them. A `?token=` on the page URL is passed on to the API.

const token = new URLSearchParams(location.search).get('token');
const withToken = (path) => (token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path);

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

const requests = [];
const MAX_REQUESTS = 50;

function classOf(uri) {
  if (!uri) return '';
  const p = uri.split('?')[0];
  return p.slice(p.lastIndexOf('/') + 1);
}

function renderHosts(state) {
  const box = $('#hosts');
  box.replaceChildren(
    ...state.hosts.map((h) => {
      const down = h.down ? `down (${h.down})` : h.listening ? 'up' : 'not listening';
      const vms = el('ul', { class: 'vms' },
        ...h.vmList.map((v) => el('li', { class: 'vm', 'data-vm': v.guid, 'data-name': v.name, 'data-state': v.state },
          el('span', { class: 'vm-name', text: v.name }),
          el('span', { class: `state ${v.migrating ? 'migrating' : v.state}`, text: v.migrating ? `${v.state}, migrating` : v.state }))),
        ...h.plannedList.map((v) => el('li', { class: 'vm planned', 'data-planned': v.guid },
          el('span', { class: 'vm-name', text: v.name }), el('span', { class: 'state', text: 'planned' }))));
      return el('article', { class: `host${h.down ? ' down' : ''}`, 'data-host': h.name },
        el('h3', {}, el('span', { text: h.name }), el('span', { class: `badge${h.down ? ' down' : ''}`, text: down })),
        el('div', { class: 'urls', text: [h.http, h.https].filter(Boolean).join('  ') }),
        el('div', { class: 'muted', text: `${h.vms} VM(s) · ${h.profile} · ${h.osVersion}` }),
        vms);
    }),
  );
}

function renderMigrations(state) {
  const box = $('#migrations');
  if (!state.migrations.length) {
    box.replaceChildren(el('p', { class: 'empty', text: 'none' }));
    return;
  }
  box.replaceChildren(
    ...state.migrations.map((m) => {
      const pct = Math.max(0, Math.min(100, Math.round(m.percent)));
      return el('div', { class: 'migration', 'data-job': m.job, 'data-vm': m.vm },
        el('div', { class: 'label' },
          el('span', { text: `${m.vmName}: ${m.source} → ${m.destination ?? m.source} (${m.type})` }),
          el('span', { class: 'pct', text: `${m.state === 'new' ? 'queued' : pct + ' %'}` })),
        el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct, 'aria-label': `migration of ${m.vmName}` },
          el('div', { class: 'fill', style: `width: ${pct}%` })));
    }),
  );
}

function renderJobs(state) {
  $('#jobs tbody').replaceChildren(
    ...state.jobs.map((j) => el('tr', { class: j.state, 'data-job': j.id },
      el('td', { text: j.id.slice(0, 8), title: j.id }),
      el('td', { text: j.host }),
      el('td', { text: j.description, title: j.description }),
      el('td', { text: j.state }),
      el('td', { text: String(Math.round(j.percent)) }),
      el('td', { text: j.error ? j.error.description : j.state === 'completed' ? 'ok' : '', title: j.error ? j.error.description : '' }))),
  );
}

function renderFaults(state) {
  $('#faults').replaceChildren(
    ...(state.faults.length ? state.faults.map((r) => {
      const what = [r.host ?? 'any host', r.operation, r.class, r.method, r.vm, r.destination && `→ ${r.destination}`].filter(Boolean).join(' ');
      const effect = Object.entries(r.effect).map(([k, v]) => (k === 'kind' ? v : `${k}=${v}`)).join(' ');
      const extra = [r.probability !== undefined && `p=${r.probability}`, r.remaining !== undefined && `${r.remaining} left`, `applied ${r.applied}`].filter(Boolean).join(', ');
      return el('li', { class: r.active ? 'active' : 'inactive', 'data-rule': r.id }, el('code', { text: r.id }), ` ${what}: ${effect} (${extra})`);
    }) : [el('li', { class: 'empty', text: 'no rules' })]),
  );
  $('#injections').replaceChildren(
    ...state.injections.slice(0, 10).map((e) => el('li', { text: `${new Date(e.time).toLocaleTimeString()} ${e.effect} ${e.host ?? ''} ${e.operation ?? ''} ${e.detail ?? ''}` })),
  );
}

function renderRequests() {
  $('#requests tbody').replaceChildren(
    ...requests.map((r) => el('tr', { class: r.outcome },
      el('td', { text: new Date(r.time).toLocaleTimeString() }),
      el('td', { text: r.host }),
      el('td', { text: r.user ?? '' }),
      el('td', { text: r.method ? `Invoke ${r.method}` : r.operation }),
      el('td', { text: classOf(r.resourceUri) }),
      el('td', { text: String(r.status || '—') }),
      el('td', { text: r.injected ? `${r.outcome} (${r.injected})` : r.fault ? `${r.outcome} ${r.fault}` : r.outcome }),
      el('td', { text: r.durationMs.toFixed(1) }))),
  );
}

function render(state) {
  $('#world').textContent = state.world ? `world ${state.world}` : '';
  $('#clock').textContent = `${state.clock.iso} · ${state.clock.mode}${state.clock.scale !== 1 ? ` ×${state.clock.scale}` : ''}`;
  renderHosts(state);
  renderMigrations(state);
  renderJobs(state);
  renderFaults(state);
  requests.splice(0, requests.length, ...state.requests.slice(0, MAX_REQUESTS));
  renderRequests();
  document.body.dataset.updated = String(Date.now());
}

function connect() {
  const es = new EventSource(withToken('/api/events'));
  const badge = $('#connection');
  es.addEventListener('open', () => {
    badge.textContent = 'live';
    badge.className = 'badge';
    badge.dataset.connected = 'true';
  });
  es.addEventListener('error', () => {
    badge.textContent = 'reconnecting…';
    badge.className = 'badge off';
    badge.dataset.connected = 'false';
  });
  es.addEventListener('state', (ev) => render(JSON.parse(ev.data)));
  es.addEventListener('request', (ev) => {
    requests.unshift(JSON.parse(ev.data));
    requests.length = Math.min(requests.length, MAX_REQUESTS);
    renderRequests();
  });
}

connect();
