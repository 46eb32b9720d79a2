// The enumerators' offline app. Small and hand-written: the pack (the
// questionnaires as data and the open invitations of one's units) and every
// finished interview live in IndexedDB, so they survive closing the browser
// and restarting the phone; interviews are sent when the network returns,
// each with an id made here, so a resend is stored once (the server checks
// every answer again).
"use strict";
(() => {
  const $ = (s) => document.querySelector(s);
  const main = $("#main");
  const params = new URLSearchParams(location.search);
  let campaign = params.get("dot") || localStorage.getItem("sipas-dot") || "";
  if (campaign) localStorage.setItem("sipas-dot", campaign);

  // ---- IndexedDB: packs (by campaign), queue (by client id), drafts (by token)
  let dbp = null;
  function db() {
    if (!dbp) {
      dbp = new Promise((ok, fail) => {
        const r = indexedDB.open("sipas", 1);
        r.onupgradeneeded = () => {
          const d = r.result;
          d.createObjectStore("packs", { keyPath: "campaign" });
          d.createObjectStore("queue", { keyPath: "client_id" });
          d.createObjectStore("drafts", { keyPath: "token" });
        };
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
    }
    return dbp;
  }
  async function tx(store, mode, fn) {
    const d = await db();
    return new Promise((ok, fail) => {
      const t = d.transaction(store, mode);
      const s = t.objectStore(store);
      let out;
      Promise.resolve(fn(s)).then((v) => { out = v; });
      t.oncomplete = () => ok(out);
      t.onerror = () => fail(t.error);
    });
  }
  const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const get = (store, key) => tx(store, "readonly", (s) => req(s.get(key)));
  const all = (store) => tx(store, "readonly", (s) => req(s.getAll()));
  const put = (store, v) => tx(store, "readwrite", (s) => { s.put(v); });
  const del = (store, key) => tx(store, "readwrite", (s) => { s.delete(key); });

  const esc = (t) => String(t ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const when = (iso) => new Date(iso).toLocaleString("vi-VN", { dateStyle: "short", timeStyle: "short" });

  function showNet() {
    const n = $("#net");
    n.textContent = navigator.onLine ? "Có mạng" : "Không có mạng";
    n.className = navigator.onLine ? "tag" : "tag off";
  }

  // ---- The pack
  async function download() {
    const r = await fetch(`/enumerator/${encodeURIComponent(campaign)}/offline/pack`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Requested-With": "sipas-app" },
      redirect: "manual",
    });
    if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
      location.href = `/login?next=${encodeURIComponent("/app/?dot=" + campaign)}`;
      return;
    }
    if (!r.ok) throw new Error(`máy chủ trả lời ${r.status}`);
    const pack = await r.json();
    const queued = new Set((await all("queue")).map((q) => q.token));
    pack.invitations = pack.invitations.filter((i) => !queued.has(i.token));
    await put("packs", pack);
  }

  // An expired pack keeps no names or addresses; its waiting interviews stay.
  async function pack() {
    const p = await get("packs", campaign);
    if (p && Date.parse(p.expires) < Date.now() && p.invitations.length) {
      p.invitations = [];
      p.expired = true;
      await put("packs", p);
    }
    return p;
  }

  // ---- Home: what is assigned, what waits, what was sent or refused
  async function home(message) {
    showNet();
    const p = campaign ? await pack() : null;
    const queue = (await all("queue")).filter((q) => q.campaign === campaign).sort((a, b) => b.at.localeCompare(a.at));
    const drafts = new Set((await all("drafts")).map((d) => d.token));
    const waiting = queue.filter((q) => q.state === "waiting");
    let h = message ? `<p class="${message.ok ? "ok" : "alert"}">${esc(message.text)}</p>` : "";
    if (!campaign) {
      h += `<p class="alert">Mở ứng dụng từ trang «Tiến độ chỉ tiêu» của đợt khảo sát (nút «Ứng dụng ngoại tuyến»).</p>`;
    } else if (!p) {
      h += `<div class="box"><p>Chưa có phiếu trên máy. Khi có mạng, tải các phiếu mời của đơn vị được giao về máy; sau đó phỏng vấn được cả khi không có mạng.</p>
        <button class="go" id="dl">Tải phiếu về máy</button></div>`;
    } else {
      $("#title").textContent = p.name;
      h += `<p class="note">Tải về được dùng đến ${esc(when(p.expires))}${p.expired ? " — đã hết hạn: tên và địa chỉ đã xoá khỏi máy; đăng nhập lại khi có mạng" : ""}.
        <button id="dl">Tải lại</button></p>`;
      h += `<h2>Phiếu mời chưa phỏng vấn (${p.invitations.length})</h2><ul class="list">`;
      for (const i of p.invitations) {
        h += `<li><button data-open="${esc(i.token)}"><b>${esc(i.name || "Phiếu " + i.code)}</b>${drafts.has(i.token) ? ' <span class="tag">đang làm dở</span>' : ""}<br>
          <span class="note">${esc(i.address)}${i.address ? " · " : ""}${esc(i.unit_name)} · ${esc(p.groups[i.group] || i.group)}${i.name ? ` · <span class="code">${esc(i.code)}</span>` : ""}</span></button></li>`;
      }
      h += `</ul>`;
    }
    if (queue.length) {
      // What waits comes first on the screen, before the list of visits.
      const refused = queue.filter((q) => q.state === "refused").length;
      const summary = `<div class="box" id="queue"><b>Phiếu đã hoàn thành:</b> ${waiting.length} chờ gửi · ${queue.filter((q) => q.state === "sent").length} đã gửi · ${refused} bị từ chối${refused ? ' (<a href="#done">xem lý do</a>)' : ""}
        <p><button class="go" id="send" ${waiting.length ? "" : "disabled"}>Gửi ngay</button><button id="save">Lưu hàng đợi ra tệp</button></p></div>`;
      const at = h.indexOf('<p class="note">Tải về');
      h = at >= 0 ? h.slice(0, at) + summary + h.slice(at) : h + summary;
      h += `<h2 id="done">Phiếu đã hoàn thành</h2><ul class="list">`;
      for (const q of queue) {
        const label = { waiting: "chờ gửi", sent: "đã gửi", refused: "bị từ chối" }[q.state];
        h += `<li class="${q.state}" data-state="${q.state}"><b>${esc(q.label)}</b> — ${label}<br><span class="note">hoàn thành ${esc(when(q.at))}${q.reason ? " · " + esc(q.reason) : ""}</span></li>`;
      }
      h += `</ul>`;
    }
    main.innerHTML = h;
    const dl = $("#dl");
    if (dl) dl.onclick = () => download().then(() => home({ ok: true, text: "Đã tải phiếu về máy." })).catch((e) => home({ ok: false, text: "Không tải được: " + e.message }));
    const send = $("#send");
    if (send) send.onclick = () => sync(true);
    const save = $("#save");
    if (save) save.onclick = saveQueue;
    main.querySelectorAll("[data-open]").forEach((b) => { b.onclick = () => interview(b.dataset.open); });
  }

  // ---- The interview: the questionnaire as the online form shows it
  const asCell = (v) => (v === true ? "1" : v === false ? "0" : String(v));
  function shown(q, cells) {
    if (!q.show_if) return true;
    const given = cells[q.show_if.question];
    if (given === undefined || given === "") return false;
    const wanted = [q.show_if.equals, ...(q.show_if.any_of || [])].filter((v) => v !== undefined && v !== null).map(asCell);
    return given.split(";").some((g) => wanted.includes(g));
  }

  function field(qn, q, cells) {
    const name = `q.${q.code}`;
    const v = cells[q.code] || "";
    const opt = (type, value, label) =>
      `<label class="opt"><input type="${type}" name="${esc(name)}" value="${esc(value)}" ${(type === "checkbox" ? v.split(";").includes(value) : v === value) ? "checked" : ""}> ${esc(label)}</label>`;
    let body = "";
    if (q.kind === "likert5") {
      const labels = q.labels || qn.likert_labels;
      for (let i = 5; i >= 1; i--) body += opt("radio", String(i), labels[i - 1]);
      if (q.dont_know) body += opt("radio", "0", "Không biết / không trả lời");
    } else if (q.kind === "single") {
      for (const o of q.options) body += opt("radio", o.code, o.label);
    } else if (q.kind === "multi") {
      for (const o of q.options) body += opt("checkbox", o.code, o.label);
    } else if (q.kind === "yesno") {
      body = opt("radio", "1", "Có") + opt("radio", "0", "Không");
    } else if (q.kind === "number") {
      body = `<input type="number" inputmode="numeric" name="${esc(name)}" value="${esc(v)}"${q.min != null ? ` min="${esc(q.min)}"` : ""}${q.max != null ? ` max="${esc(q.max)}"` : ""}>`;
    } else {
      body = `<textarea name="${esc(name)}" rows="3" maxlength="${esc(q.max_length || 2000)}">${esc(v)}</textarea>`;
    }
    return `<fieldset data-q="${esc(q.code)}"${shown(q, cells) ? "" : " hidden"}><legend>${esc(q.code)}. ${esc(q.text)}${q.required ? ' <span class="req">*</span>' : ""}</legend>${body}<p class="err" hidden></p></fieldset>`;
  }

  function read(form) {
    const cells = {};
    for (const [k, v] of new FormData(form)) {
      const t = String(v).trim();
      if (!k.startsWith("q.") || !t) continue;
      const code = k.slice(2);
      cells[code] = cells[code] ? cells[code] + ";" + t : t;
    }
    return cells;
  }

  async function interview(token) {
    const p = await pack();
    const inv = p && p.invitations.find((i) => i.token === token);
    if (!inv) return home();
    const qn = p.questionnaires[inv.group];
    const draft = await get("drafts", token);
    const cells = (draft && draft.cells) || {};
    const questions = qn.sections.flatMap((s) => s.questions);
    let h = `<p><button id="back">← Danh sách</button></p><div class="box"><b>${esc(inv.name || "Phiếu " + inv.code)}</b><br><span class="note">${esc(inv.unit_name)} · ${esc(p.groups[inv.group] || inv.group)} · <span class="code">${esc(inv.code)}</span></span></div>
      <h2>${esc(qn.title)}</h2>${qn.intro ? `<p class="note">${esc(qn.intro)}</p>` : ""}<form id="f" novalidate>`;
    for (const s of qn.sections) {
      h += `<h2>${esc(s.title)}</h2>`;
      for (const q of s.questions) h += field(qn, q, cells);
    }
    h += `<p><button type="submit" class="go">Hoàn thành phỏng vấn</button></p><p class="note">Câu trả lời được lưu trên máy sau mỗi lần chọn.</p></form>`;
    main.innerHTML = h;
    window.scrollTo(0, 0);
    const form = $("#f");
    $("#back").onclick = () => home();
    const refresh = () => {
      const now = read(form);
      for (const q of questions) {
        const fs = form.querySelector(`[data-q="${CSS.escape(q.code)}"]`);
        const show = shown(q, now);
        fs.hidden = !show;
        if (!show) fs.querySelectorAll("input,textarea").forEach((i) => { if (i.type === "radio" || i.type === "checkbox") i.checked = false; else i.value = ""; });
      }
      return read(form);
    };
    form.oninput = () => put("drafts", { token, cells: refresh() });
    form.onsubmit = async (e) => {
      e.preventDefault();
      const now = refresh();
      let first = null;
      for (const q of questions) {
        const fs = form.querySelector(`[data-q="${CSS.escape(q.code)}"]`);
        const err = fs.querySelector(".err");
        const missing = !fs.hidden && q.required && !now[q.code];
        err.hidden = !missing;
        err.textContent = missing ? "Câu này cần trả lời." : "";
        if (missing && !first) first = fs;
      }
      if (first) return first.scrollIntoView({ block: "center" });
      const id = crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
      await put("queue", { client_id: id, token, campaign, answers: now, state: "waiting", label: `${inv.unit_name} · phiếu ${inv.code}`, at: new Date().toISOString() });
      await del("drafts", token);
      p.invitations = p.invitations.filter((i) => i.token !== token);
      await put("packs", p);
      await home({ ok: true, text: "Đã lưu phỏng vấn trên máy; sẽ gửi khi có mạng." });
      sync(false);
    };
  }

  // ---- Sync: waiting interviews, in parts, each answered by the server
  let syncing = false;
  async function sync(asked) {
    if (syncing || !navigator.onLine) return asked && home({ ok: false, text: "Chưa có mạng: phiếu vẫn chờ trên máy." });
    const p = await get("packs", campaign);
    const waiting = (await all("queue")).filter((q) => q.state === "waiting" && q.campaign === campaign);
    if (!p || !waiting.length) return;
    syncing = true;
    let stored = 0;
    let refusedNow = 0;
    try {
      for (let i = 0; i < waiting.length; i += 100) {
        const part = waiting.slice(i, i + 100);
        const r = await fetch("/enumerator/offline/sync", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + p.key },
          body: JSON.stringify({ interviews: part.map(({ client_id, token, answers }) => ({ client_id, token, answers })) }),
        });
        if (r.status === 401) return home({ ok: false, text: (await r.json()).error });
        if (!r.ok) throw new Error(`máy chủ trả lời ${r.status}`);
        const { results } = await r.json();
        for (const res of results) {
          const q = part.find((x) => x.client_id === res.client_id);
          if (!q) continue;
          const refused = res.result.status === "refused";
          q.state = refused ? "refused" : "sent";
          if (refused) refusedNow++;
          else stored++;
          q.reason = refused ? res.result.reason : "";
          // Sent: the answers leave the phone; a refused one keeps them for the office.
          if (!refused) q.answers = {};
          await put("queue", q);
        }
      }
      await home(
        refusedNow
          ? { ok: false, text: `Đã gửi: ${stored} phiếu được lưu, ${refusedNow} phiếu bị từ chối — xem lý do ở cuối trang.` }
          : { ok: true, text: `Đã gửi: ${stored} phiếu được lưu.` }
      );
    } catch (e) {
      await home({ ok: false, text: "Chưa gửi được (" + e.message + "): phiếu vẫn chờ trên máy, sẽ thử lại." });
    } finally {
      syncing = false;
    }
  }

  // The last resort: the waiting interviews as a file an admin imports
  // (`sipas responses import-queue`), under the same exactly-once rule.
  async function saveQueue() {
    const waiting = (await all("queue")).filter((q) => q.state !== "sent").map(({ client_id, token, answers }) => ({ client_id, token, answers }));
    const blob = new Blob([JSON.stringify({ campaign, interviews: waiting }, null, 1)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `hang-doi-${campaign}-${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
  }

  addEventListener("online", () => { showNet(); sync(false); });
  addEventListener("offline", showNet);
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
  home().then(() => sync(false));
})();
