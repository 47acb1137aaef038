// Canvas plots of the dashboard: valence/arousal over time, and the valence-arousal plane. Plain
// canvas 2D, scaled for the device's pixel ratio; each draw repaints everything (a few hundred points).

const COLORS = { valence: '#4aa3ff', arousal: '#ff9f43', grid: '#2a323b', axis: '#3a444f', text: '#8a949e', point: '#ffffff' };

/** Sizes the canvas backing store to its CSS size × devicePixelRatio; returns the context and CSS size. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/**
 * Valence and arousal against media time. `points`: [{ t, valence, arousal }] (values null when the
 * window had neither face nor speech: the line breaks there). Shows the last `spanSeconds`.
 */
export function drawTimeline(canvas, points, spanSeconds) {
  const { ctx, width, height } = prepare(canvas);
  const left = 34, right = 8, top = 8, bottom = 20;
  const w = width - left - right, h = height - top - bottom;
  const end = points.length > 0 ? points[points.length - 1].t : spanSeconds;
  const start = Math.max(0, end - spanSeconds);
  const x = (t) => left + ((t - start) / Math.max(1e-9, end - start || spanSeconds)) * w;
  const y = (v) => top + ((1 - v) / 2) * h;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = COLORS.text;
  ctx.lineWidth = 1;
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    ctx.strokeStyle = v === 0 ? COLORS.axis : COLORS.grid;
    ctx.beginPath();
    ctx.moveTo(left, y(v));
    ctx.lineTo(left + w, y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(1), 2, y(v) + 4);
  }
  const step = niceStep((end - start) / 6);
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    // Labels are centred on their tick but kept inside the canvas.
    const label = formatTime(t);
    const lw = ctx.measureText(label).width;
    ctx.fillText(label, Math.min(width - lw - 2, Math.max(left - lw / 2, x(t) - lw / 2)), height - 4);
  }
  const visible = points.filter((p) => p.t >= start);
  for (const key of ['valence', 'arousal']) {
    ctx.strokeStyle = COLORS[key];
    ctx.lineWidth = 2;
    ctx.beginPath();
    let pen = false;
    for (const p of visible) {
      const v = p[key];
      if (v === null || v === undefined) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(x(p.t), y(v));
      else ctx.moveTo(x(p.t), y(v));
      pen = true;
    }
    ctx.stroke();
  }
  canvas.dataset.points = String(visible.length);
}

/** The valence (x) / arousal (y) plane with a fading trail of recent points and the current one. */
export function drawPlane(canvas, trail) {
  const { ctx, width, height } = prepare(canvas);
  const size = Math.min(width, height);
  const pad = 18;
  const r = size / 2 - pad;
  const cx = width / 2, cy = height / 2;
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.stroke();
  ctx.strokeStyle = COLORS.axis;
  ctx.beginPath();
  ctx.moveTo(cx - r, cy);
  ctx.lineTo(cx + r, cy);
  ctx.moveTo(cx, cy - r);
  ctx.lineTo(cx, cy + r);
  ctx.stroke();
  ctx.fillStyle = COLORS.text;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText('valence', cx + r - 40, cy - 4);
  ctx.fillText('arousal', cx + 4, cy - r + 10);
  ctx.fillText('−', cx - r - 10, cy + 4);
  ctx.fillText('+', cx + r + 3, cy + 4);
  const px = (v) => cx + v * r;
  const py = (a) => cy - a * r;
  const points = trail.filter((p) => p.valence !== null && p.arousal !== null);
  points.forEach((p, i) => {
    const last = i === points.length - 1;
    ctx.globalAlpha = last ? 1 : 0.15 + (0.5 * i) / points.length;
    ctx.fillStyle = last ? COLORS.point : COLORS.valence;
    ctx.beginPath();
    ctx.arc(px(p.valence), py(p.arousal), last ? 6 : 3, 0, Math.PI * 2);
    ctx.fill();
  });
  ctx.globalAlpha = 1;
  canvas.dataset.points = String(points.length);
}

function niceStep(raw) {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (s >= raw) return s;
  return 1200;
}

export function formatTime(seconds) {
  const m = Math.floor(seconds / 60);
  const s = Math.floor(seconds % 60);
  return `${m}:${String(s).padStart(2, '0')}`;
}
