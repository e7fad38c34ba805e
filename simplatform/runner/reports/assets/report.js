"use strict";
// simplatform run report: tables, filters, a bird's-eye replay and time plots, from the embedded JSON.
(function () {
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const $ = (s) => document.querySelector(s);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
    return e;
  };
  const num = (v, d = 2) => (typeof v === "number" ? v.toFixed(d) : v == null ? "" : String(v));
  const badge = (v) => el("span", { class: "badge " + v }, v);

  // ------------------------------------------------------------- summary
  const S = D.summary;
  $("#cards").append(...[["scenarios", S.total, ""], ["pass", S.pass, "pass"], ["fail", S.fail, "fail"],
    ["error", S.error, "error"], ["with notes", (S.notes || {}).scenarios || 0, "note"],
    ["simulated s", num(S.sim_time, 0), ""], ["wall s", num(S.wall_time, 0), ""]]
    .map(([k, v, c]) => el("div", { class: "card" }, el("b", { class: c }, v), k)));
  const fam = $("#families tbody");
  for (const [f, r] of Object.entries(S.by_family))
    fam.append(el("tr", {}, el("td", {}, f), el("td", {}, r.total), el("td", { class: "pass" }, r.pass),
      el("td", { class: "fail" }, r.fail), el("td", { class: "error" }, r.error),
      el("td", {}, (100 * r.pass_rate).toFixed(1) + " %"), el("td", {}, num(r.mean_score, 1))));
  const req = $("#requirements tbody");
  for (const [id, r] of Object.entries(S.by_requirement))
    req.append(el("tr", {}, el("td", {}, id), el("td", {}, r.text), el("td", {}, el("code", {}, r.check)),
      el("td", { class: "pass" }, r.pass), el("td", { class: "fail" }, r.fail), el("td", { class: "error" }, r.error)));

  // ----------------------------------------------------- scenario table
  const famSel = $("#f-family");
  for (const f of Object.keys(S.by_family)) famSel.append(el("option", { value: f }, f));
  const body = $("#scenarios tbody");
  const rows = D.results.map((r, i) => {
    const failed = r.requirements.filter((q) => q.verdict !== "pass").map((q) => q.requirement_id).join(", ");
    const tr = el("tr", { "data-i": i }, el("td", {}, r.scenario_id), el("td", {}, r.family), el("td", {}, badge(r.verdict)),
      el("td", {}, failed || (r.error ? r.error.split("\n")[0] : "")), notesCell(r.notes || []),
      el("td", {}, num(r.scores.overall, 1)),
      el("td", {}, num(r.sim_time, 1)), el("td", {}, num(r.wall_time, 2)), el("td", {}, r.tags.join(" ")));
    tr.addEventListener("click", () => show(i));
    body.append(tr);
    return tr;
  });
  function notesCell(notes) {  // the count, the kinds in the tooltip
    if (!notes.length) return el("td", {});
    const kinds = [...new Set(notes.map((x) => x.kind))].join(", ");
    return el("td", { class: "note", title: kinds }, notes.length);
  }
  function applyFilters() {
    const q = $("#f-text").value.toLowerCase(), v = $("#f-verdict").value, f = $("#f-family").value;
    const nf = $("#f-notes").value;
    let n = 0;
    D.results.forEach((r, i) => {
      const noted = !!(r.notes && r.notes.length);
      const ok = (!v || r.verdict === v) && (!f || r.family === f) && (!nf || (nf === "with") === noted) &&
        (!q || (r.scenario_id + " " + r.tags.join(" ") + " " + r.family).toLowerCase().includes(q));
      rows[i].style.display = ok ? "" : "none"; if (ok) n++;
    });
    $("#f-count").textContent = n + " shown";
  }
  for (const id of ["#f-text", "#f-verdict", "#f-family", "#f-notes"]) $(id).addEventListener("input", applyFilters);
  applyFilters();

  // ------------------------------------------------------------ detail
  let player = null;
  function show(i) {
    rows.forEach((tr) => tr.classList.remove("sel")); rows[i].classList.add("sel");
    const r = D.results[i], box = $("#detail");
    box.hidden = false;
    $("#d-title").textContent = r.scenario_id + " — " + r.verdict;
    const info = $("#d-info"); info.replaceChildren(
      el("div", {}, `family ${r.family}, end ${r.end_reason} at ${num(r.sim_time)} s, ${r.steps} steps, seed ${r.seed}`),
      el("div", { class: "muted" }, r.path));
    if (r.error) info.append(el("pre", {}, r.error));
    const notes = r.notes || [], nt = $("#d-notes tbody");
    $("#d-notes").hidden = !notes.length; nt.replaceChildren();
    for (const x of notes)
      nt.append(el("tr", {}, el("td", {}, num(x.time, 3) + " s"), el("td", {}, x.kind),
        el("td", {}, (x.entities || []).join(", ")), el("td", {}, x.detail)));
    const rt = $("#d-reqs tbody"); rt.replaceChildren();
    for (const q of r.requirements)
      rt.append(el("tr", {}, el("td", {}, q.requirement_id), el("td", {}, badge(q.verdict)), el("td", {}, el("code", {}, q.check)),
        el("td", {}, num(q.value, 3)), el("td", {}, q.time == null ? "" : num(q.time) + " s"),
        el("td", {}, (q.entities || []).join(", ")), el("td", {}, q.message)));
    if (!r.requirements.length) rt.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "no requirements")));
    if (player) player.stop();
    const tr = D.traces[r.scenario_id];
    $("#d-replay").hidden = !tr; $("#d-noreplay").hidden = !!tr;
    if (tr) player = new Player(tr, r);
  }

  // ------------------------------------------------------------ replay
  function Player(tr, r) {
    const cv = $("#replay"), slider = $("#r-time"), btn = $("#r-play"), label = $("#r-label");
    const n = tr.t.length; let k = 0, timer = null;
    slider.max = Math.max(0, n - 1); slider.value = 0;
    let xs = [], ys = [];
    for (const e of tr.entities) for (let j = 0; j < e.x.length; j++) if (e.x[j] != null) { xs.push(e.x[j]); ys.push(e.y[j]); }
    for (const line of tr.road) for (const p of line) { xs.push(p[0]); ys.push(p[1]); }
    const ego = tr.entities.find((e) => e.ego);
    const marks = r.requirements.filter((q) => q.verdict !== "pass" && typeof q.time === "number").map((q) => q.time);
    const plots = [["speed", "ego speed [m/s]"], ["ttc", "TTC [s]"], ["distance", "min distance [m]"], ["accel", "longitudinal accel [m/s²]"]];
    function draw() {
      const W = cv.width = cv.clientWidth || 600, H = cv.height = 360, c = cv.getContext("2d");
      c.clearRect(0, 0, W, H);
      // follow the ego, 120 m wide view; whole scene when there is no ego
      let cx, cy, span = 120;
      const j = ego ? k - ego.first : -1;
      if (ego && j >= 0 && j < ego.x.length && ego.x[j] != null) { cx = ego.x[j]; cy = ego.y[j]; }
      else { cx = (Math.min(...xs) + Math.max(...xs)) / 2 || 0; cy = (Math.min(...ys) + Math.max(...ys)) / 2 || 0;
        span = Math.max(40, Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)); }
      const s = W / span, X = (x) => W / 2 + (x - cx) * s, Y = (y) => H / 2 - (y - cy) * s;
      c.strokeStyle = "#c8ccd2"; c.lineWidth = Math.max(2, 7 * s);
      for (const line of tr.road) { c.beginPath(); line.forEach((p, q) => (q ? c.lineTo(X(p[0]), Y(p[1])) : c.moveTo(X(p[0]), Y(p[1])))); c.stroke(); }
      for (const e of tr.entities) {
        const q = k - e.first; if (q < 0 || q >= e.x.length || e.x[q] == null) continue;
        c.strokeStyle = e.ego ? "#0969da55" : "#6e778155"; c.lineWidth = 1; c.beginPath();
        for (let m = 0; m <= q; m++) { if (e.x[m] == null) continue; m ? c.lineTo(X(e.x[m]), Y(e.y[m])) : c.moveTo(X(e.x[m]), Y(e.y[m])); }
        c.stroke();
        c.save(); c.translate(X(e.x[q]), Y(e.y[q])); c.rotate(-e.h[q]);
        c.fillStyle = e.ego ? "#0969da" : e.kind === "pedestrian" ? "#bf3989" : "#57606a";
        c.fillRect(-e.length * s / 2, -e.width * s / 2, Math.max(2, e.length * s), Math.max(2, e.width * s)); c.restore();
        c.fillStyle = "#1d2430"; c.font = "11px sans-serif"; c.fillText(e.name, X(e.x[q]) + 6, Y(e.y[q]) - 6);
      }
      label.textContent = "t = " + num(tr.t[k] || 0) + " s";
      for (const [key, name] of plots) plot(document.getElementById("p-" + key), tr.t, tr.series[key], name, tr.t[k], marks);
    }
    this.stop = () => { if (timer) clearInterval(timer); timer = null; btn.textContent = "play"; };
    btn.onclick = () => {
      if (timer) return this.stop();
      btn.textContent = "pause";
      const dt = n > 1 ? (tr.t[1] - tr.t[0]) * 1000 : 100;
      timer = setInterval(() => { k = (k + 1) % n; slider.value = k; draw(); }, Math.max(16, dt));
    };
    slider.oninput = () => { k = +slider.value; draw(); };
    draw();
  }

  function plot(cv, t, v, name, now, marks) {
    const W = cv.width = cv.clientWidth || 300, H = cv.height = 160, c = cv.getContext("2d");
    c.clearRect(0, 0, W, H); c.fillStyle = "#1d2430"; c.font = "12px sans-serif"; c.fillText(name, 44, 12);
    if (!v || !v.length) { c.fillStyle = "#6e7781"; c.fillText("no data", W / 2 - 20, H / 2); return; }
    const pts = v.map((y, i) => [t[i], typeof y === "number" ? y : null]).filter((p) => p[1] !== null);
    if (!pts.length) { c.fillStyle = "#6e7781"; c.fillText("no finite values", W / 2 - 40, H / 2); return; }
    let y0 = Math.min(...pts.map((p) => p[1])), y1 = Math.max(...pts.map((p) => p[1]));
    if (y1 - y0 < 1e-6) { y0 -= 1; y1 += 1; }
    const t0 = t[0], t1 = t[t.length - 1] > t0 ? t[t.length - 1] : t0 + 1, L = 40, R = 8, T = 18, B = 20;
    const X = (x) => L + (x - t0) / (t1 - t0) * (W - L - R), Y = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
    c.strokeStyle = "#d0d7de"; c.lineWidth = 1; c.strokeRect(L, T, W - L - R, H - T - B);
    c.fillStyle = "#57606a"; c.font = "10px sans-serif";
    c.fillText(num(y1, 1), 2, T + 8); c.fillText(num(y0, 1), 2, H - B); c.fillText(num(t0, 0) + " s", L, H - 6);
    c.fillText(num(t1, 0) + " s", W - R - 30, H - 6);
    c.strokeStyle = "#cf222e"; for (const m of marks) { c.beginPath(); c.moveTo(X(m), T); c.lineTo(X(m), H - B); c.stroke(); }
    c.strokeStyle = "#0969da"; c.lineWidth = 1.5; c.beginPath();
    let pen = false;
    v.forEach((y, i) => { if (typeof y !== "number") { pen = false; return; } pen ? c.lineTo(X(t[i]), Y(y)) : c.moveTo(X(t[i]), Y(y)); pen = true; });
    c.stroke();
    c.strokeStyle = "#1d2430"; c.setLineDash([3, 3]); c.beginPath(); c.moveTo(X(now), T); c.lineTo(X(now), H - B); c.stroke(); c.setLineDash([]);
  }

  const first = D.results.findIndex((r) => r.verdict !== "pass");
  if (D.results.length) show(first >= 0 ? first : 0);
  window.__reportReady = true;
})();
