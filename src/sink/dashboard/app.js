// The dashboard page: one feed connection for every stream (the typed client, served by the same
// server), a list of streams, and the chosen stream's latest affect event with its recent history.
import { AffectFeedClient } from '/dashboard/feed-client.js';
import { drawPlane, drawTimeline, formatTime } from '/dashboard/plots.js';

const CLASSES = ['Neutral', 'Anger', 'Disgust', 'Fear', 'Happiness', 'Sadness', 'Surprise', 'Other'];
const SPAN_SECONDS = 5 * 60;
/** Points kept per stream: the plotted span at one window per second, with room to spare. */
const KEEP = 900;
const TRAIL = 20;

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
/** stream → { state, points: [{t, valence, arousal}], last: affect event | undefined, windows } */
const streams = new Map();
let selected = params.get('stream') ?? undefined;
let redraw = false;

function streamOf(id) {
  let s = streams.get(id);
  if (!s) {
    s = { state: 'live', points: [], last: undefined, windows: 0 };
    streams.set(id, s);
    if (selected === undefined) selected = id;
  }
  return s;
}

function onEvent(event) {
  const s = streamOf(event.stream);
  if (event.type === 'affect') {
    s.last = event;
    s.windows += 1;
    s.points.push({ t: event.end, valence: event.valence, arousal: event.arousal });
    if (s.points.length > KEEP) s.points.splice(0, s.points.length - KEEP);
  } else if (event.type === 'status') {
    s.state = event.state;
  } else if (event.type === 'error') {
    s.error = `${event.code}: ${event.message}`;
  }
  redraw = true;
}

function renderList() {
  const list = $('streams');
  list.replaceChildren();
  if (streams.size === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'no streams yet';
    list.append(li);
    return;
  }
  for (const [id, s] of [...streams].sort(([a], [b]) => a.localeCompare(b))) {
    const li = document.createElement('li');
    li.dataset.stream = id;
    if (id === selected) li.className = 'selected';
    const name = document.createElement('span');
    name.textContent = id;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = s.last?.expression ? `${s.last.expression.label} · ${s.state}` : s.state;
    li.append(name, meta);
    li.addEventListener('click', () => {
      selected = id;
      const url = new URL(location.href);
      url.searchParams.set('stream', id);
      history.replaceState(null, '', url);
      redraw = true;
    });
    list.append(li);
  }
}

const fmt = (v, digits = 2) => (v === null || v === undefined ? '–' : v.toFixed(digits));

function renderDetail() {
  const s = selected === undefined ? undefined : streams.get(selected);
  $('detail').hidden = !s;
  $('pick').hidden = Boolean(s);
  if (!s) return;
  $('stream-name').textContent = selected;
  const e = s.last;
  $('expression-label').textContent = e?.expression ? e.expression.label : e ? 'no face' : '–';
  const bars = $('distribution');
  bars.replaceChildren();
  for (const c of CLASSES) {
    const p = e?.expression ? e.expression.probs[c] : 0;
    const label = document.createElement('span');
    label.textContent = c;
    if (e?.expression?.label === c) label.className = 'top';
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = `${Math.round(p * 100)}%`;
    bar.append(fill);
    const value = document.createElement('span');
    value.textContent = e?.expression ? p.toFixed(2) : '';
    bars.append(label, bar, value);
  }
  $('valence').textContent = fmt(e?.valence);
  $('arousal').textContent = fmt(e?.arousal);
  const face = e?.weights?.face ?? 0;
  const voice = e?.weights?.voice ?? 0;
  $('w-face').style.width = `${Math.round(face * 100)}%`;
  $('w-voice').style.width = `${Math.round(voice * 100)}%`;
  $('w-face-n').textContent = e ? face.toFixed(2) : '–';
  $('w-voice-n').textContent = e ? voice.toFixed(2) : '–';
  $('faces').textContent = e ? String(e.faces.length) : '–';
  $('speech').textContent = e?.voice ? `${Math.round(e.voice.speech_ratio * 100)} %` : e ? 'no audio' : '–';
  $('latency').textContent = e ? `${e.latency_ms.toFixed(1)} ms` : '–';
  $('frames').textContent = e ? `${e.frames} analysed, ${e.dropped_frames} dropped` : '–';
  $('window').textContent = e ? `${formatTime(e.start)}–${formatTime(e.end)} (#${e.seq})` : '–';
  $('stream-status').textContent = `${s.state}, ${s.windows} windows${s.error ? ` · last error ${s.error}` : ''}`;
  drawTimeline($('timeline'), s.points, SPAN_SECONDS);
  drawPlane($('plane'), s.points.slice(-TRAIL));
}

function setConnection(state, detail) {
  const el = $('connection');
  el.className = `state ${state}`;
  el.textContent = state === 'open' ? 'live' : state === 'closed' ? `disconnected${detail?.code === 1006 && params.has('token') === false ? ' (a token may be needed: add ?token=…)' : ''}, reconnecting…` : 'connecting…';
}

const feedUrl = new URL('/v1/events', location.href);
feedUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const client = new AffectFeedClient(feedUrl.href, {
  ...(params.has('token') ? { token: params.get('token') } : {}),
  onState: setConnection,
  onNotice: (notice) => console.warn('feed notice', notice),
});

// Repaint at most once per animation frame, however many events arrive (a replay brings hundreds).
function frame() {
  if (redraw) {
    redraw = false;
    renderList();
    renderDetail();
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
window.addEventListener('resize', () => (redraw = true));

for await (const event of client) onEvent(event);
