// canwe sandbox page: shows the stand-in's workspace and sends what a Slack user would do.
// No build step, no dependencies. All URLs are relative, so the page works under any prefix.
"use strict";

const ui = {
  // the workspace shown (a team id); who you are is remembered for each workspace
  team: localStorage.getItem("canwe-sandbox-workspace") || "",
  newest: false, // just back from "Add to Slack": show the workspace installed last
  me: "",
  channel: null,
  thread: null,
  data: null,
  version: null,
  poller: null,
  modalKey: "",
  modalShownId: "",
  modalDrafts: {},
  seen: {},
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "html") node.innerHTML = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// ------------------------------------------------------------------ mrkdwn

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", hourglass: "⌛",
  hourglass_flowing_sand: "⏳", question: "❓", grey_question: "❔", no_entry: "⛔",
  no_entry_sign: "🚫", calendar: "📆", date: "📅", spiral_calendar_pad: "🗓️", bell: "🔔",
  rotating_light: "🚨", mag: "🔍", bust_in_silhouette: "👤", busts_in_silhouette: "👥",
  moneybag: "💰", dollar: "💵", memo: "📝", link: "🔗", rocket: "🚀", construction: "🚧",
  clock1: "🕐", alarm_clock: "⏰", speech_balloon: "💬", envelope: "✉️", inbox_tray: "📥",
  pushpin: "📌", bulb: "💡", thumbsup: "👍", "+1": "👍", tada: "🎉", red_circle: "🔴",
  large_green_circle: "🟢", large_yellow_circle: "🟡", large_orange_circle: "🟠",
  large_blue_circle: "🔵", white_circle: "⚪", black_circle: "⚫", handshake: "🤝",
  raising_hand: "🙋", eyes: "👀", lock: "🔒", chart_with_upwards_trend: "📈", mega: "📣",
  package: "📦", newspaper: "📰", incoming_envelope: "📨", envelope_with_arrow: "📩", busy_speech_bubble: "💬", wrench: "🔧", hammer_and_wrench: "🛠️", shield: "🛡️", sparkles: "✨",
  arrow_right: "➡️", repeat: "🔁", stopwatch: "⏱️", clipboard: "📋", pencil: "📝",
  point_right: "👉", information_source: "ℹ️", arrows_counterclockwise: "🔄", scissors: "✂️",
  thinking_face: "🤔", outbox_tray: "📤", thread: "🧵",
};

function escHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function unSlack(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
function userName(id) {
  const u = ui.data && ui.data.users[id];
  return u ? u.real_name || u.name : id;
}
function channelName(id) {
  const c = ui.data && ui.data.channels.find((ch) => ch.id === id);
  return c ? c.name : id;
}

function token(inner) {
  // A Slack <...> token: user, channel, special mention, date or link.
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    return `<span class="mention">@${escHtml(label || userName(target.slice(1)))}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return `<a class="mention" href="#channel=${encodeURIComponent(id)}">#${escHtml(label || channelName(id))}</a>`;
  }
  if (target.startsWith("!date^")) return escHtml(unSlack(label || ""));
  if (target.startsWith("!subteam^")) return `<span class="mention">${escHtml(label || "@group")}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${escHtml(target.slice(1))}</span>`;
  const url = unSlack(target);
  const safe = /^(https?:|mailto:)/i.test(url) ? url : "#";
  const local = safe.includes("/archives/");
  return `<a href="${escHtml(safe)}"${local ? "" : ' target="_blank" rel="noopener noreferrer"'}>${escHtml(unSlack(label || target))}</a>`;
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

function mrkdwn(text) {
  const holes = [];
  const hold = (html) => `\u0000${holes.push(html) - 1}\u0000`;
  let s = String(text || "");
  s = s.replace(/```([\s\S]*?)```/g, (_, code) => hold(`<pre>${escHtml(unSlack(code))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${escHtml(unSlack(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(token(inner)));
  s = escHtml(unSlack(s));
  s = s.replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, "$1<b>$2</b>");
  s = s.replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, "$1<i>$2</i>");
  s = s.replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, "$1<s>$2</s>");
  s = s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  s = s.split("\n").map((line) => (line.startsWith("&gt; ") ? `<blockquote>${line.slice(5)}</blockquote>` : line)).join("\n");
  s = s.replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => holes[Number(i)]);
}

function textObj(t) {
  if (!t) return el("span");
  if (t.type === "plain_text") {
    const s = t.emoji === false ? t.text : t.text.replace(/:([a-z0-9_+-]+):/g, (m, n) => EMOJI[n] || m);
    return el("span", {}, s);
  }
  return el("span", { class: "mrkdwn", html: mrkdwn(t.text) });
}
function plain(t) {
  return t ? t.text : "";
}

// -------------------------------------------------------------- Block Kit

function optionLabel(o) {
  return plain(o.text);
}
function allOptions(e) {
  const out = [...(e.options || [])];
  for (const g of e.option_groups || []) out.push(...(g.options || []));
  return out;
}

function messageElement(e, blockId, ctx) {
  // An interactive element in a message: clicking sends block_actions.
  const send = (extra) => act({ action_id: e.action_id, block_id: blockId, ...extra }, ctx, e.confirm);
  switch (e.type) {
    case "button":
      if (e.url && !e.action_id) {
        return el("a", { class: "bk", href: e.url, target: "_blank", rel: "noopener" }, plain(e.text));
      }
      return el("button", {
        type: "button", class: `bk ${e.style || ""}`, "data-action-id": e.action_id,
        onclick: () => send({ value: e.value }),
      }, plain(e.text));
    case "static_select":
    case "overflow": {
      const sel = el("select", {
        class: "bk", "data-action-id": e.action_id, "aria-label": plain(e.placeholder) || e.action_id,
        onchange: (ev) => ev.target.value && send({ selected_option: ev.target.value }),
      }, el("option", { value: "" }, plain(e.placeholder) || (e.type === "overflow" ? "⋯" : "Choose…")));
      for (const o of allOptions(e)) sel.append(el("option", { value: o.value }, optionLabel(o)));
      return sel;
    }
    case "datepicker":
      return el("input", {
        type: "date", class: "bk", "data-action-id": e.action_id, value: e.initial_date || "",
        onchange: (ev) => send({ value: ev.target.value }),
      });
    case "image":
      return el("span", { class: "img-alt" }, `[image: ${e.alt_text || ""}]`);
    default:
      return el("span", { class: "img-alt" }, `[${e.type}]`);
  }
}

function renderBlocks(blocks, ctx) {
  const out = [];
  for (const b of blocks || []) {
    const id = b.block_id || "";
    switch (b.type) {
      case "header":
        out.push(el("div", { class: "block block-header" }, textObj(b.text)));
        break;
      case "divider":
        out.push(el("hr", { class: "block-divider" }));
        break;
      case "section": {
        const main = el("div", { class: "main" }, b.text ? textObj(b.text) : null);
        if (b.fields && b.fields.length) {
          main.append(el("div", { class: "fields" }, b.fields.map((f) => el("div", {}, textObj(f)))));
        }
        const acc = b.accessory ? messageElement(b.accessory, id, ctx) : null;
        out.push(el("div", { class: "block block-section", "data-block-id": id }, main, acc));
        break;
      }
      case "context":
        out.push(el("div", { class: "block block-context" }, (b.elements || []).map((e) =>
          e.type === "image" ? el("span", { class: "img-alt" }, e.alt_text || "") : textObj(e))));
        break;
      case "actions":
        out.push(el("div", { class: "block block-actions", "data-block-id": id },
          (b.elements || []).map((e) => messageElement(e, id, ctx))));
        break;
      case "image":
        out.push(el("div", { class: "block" }, el("span", { class: "img-alt" }, `[image: ${b.alt_text || ""}]`)));
        break;
      case "rich_text":
        break; // shown through the message text
      default:
        out.push(el("div", { class: "block img-alt" }, `[${b.type} block]`));
    }
  }
  return out;
}

// ------------------------------------------------------------------ messages

function fmtTime(m) {
  // The bot's sandbox time, in its time zone, when the sandbox has a clock; else the browser's.
  if (m.time) return m.time;
  const d = new Date(parseFloat(m.ts) * 1000);
  return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function renderMessage(m, channel, inThread) {
  const bot = ui.data.bot.id === m.user;
  const name = userName(m.user);
  const ctx = { channel, ts: m.ts };
  const hasRich = m.blocks && m.blocks.some((b) => b.type !== "rich_text");
  const content = hasRich
    ? renderBlocks(m.blocks, ctx)
    : [el("div", { class: "mrkdwn", html: mrkdwn(m.text) })];
  const node = el("div", {
    class: `msg${m.ephemeral_to ? " ephemeral" : ""}${ui.highlight === m.ts ? " highlight" : ""}`,
    "data-ts": m.ts, "data-user": m.user,
  },
  el("div", { class: `avatar${bot ? " bot" : ""}` }, (name || "?").slice(0, 1).toUpperCase()),
  el("div", { class: "body" },
    m.ephemeral_to ? el("div", { class: "ephemeral-note" }, "👁 Only visible to you") : null,
    el("div", { class: "meta" },
      el("span", { class: "name" }, name),
      bot ? el("span", { class: "app" }, "APP") : null,
      el("span", { class: "time" }, fmtTime(m)),
      m.edited ? el("span", { class: "edited" }, "(edited)") : null),
    content,
    !inThread && m.reply_count
      ? el("button", { type: "button", class: "replies", onclick: () => openThread(m.ts) },
        `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`)
      : null,
    !inThread && !m.reply_count && !m.ephemeral_to
      ? el("button", { type: "button", class: "reply-link", onclick: () => openThread(m.ts) }, "Reply in thread")
      : null));
  return node;
}

function fillMessages(box, list, channel, inThread) {
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren();
  if (!list.length) box.append(el("div", { class: "empty" }, inThread ? "No replies yet." : "No messages yet."));
  for (const m of list) box.append(renderMessage(m, channel, inThread));
  if (atBottom || ui.scrollNext) box.scrollTop = box.scrollHeight;
}

// ------------------------------------------------------------------ modals

function modalInput(b, errors) {
  const e = b.element || {};
  const err = errors[b.block_id];
  let input;
  const common = { class: "bk", "data-block-id": b.block_id, "data-action-id": e.action_id, "data-type": e.type };
  switch (e.type) {
    case "static_select":
    case "radio_buttons":
      input = el("select", common, el("option", { value: "" }, plain(e.placeholder) || "Choose…"));
      for (const o of allOptions(e)) {
        input.append(el("option", {
          value: o.value, selected: e.initial_option && e.initial_option.value === o.value,
        }, optionLabel(o)));
      }
      break;
    case "multi_static_select":
    case "checkboxes":
      input = el("select", { ...common, multiple: true });
      for (const o of allOptions(e)) {
        const on = (e.initial_options || []).some((i) => i.value === o.value);
        input.append(el("option", { value: o.value, selected: on }, optionLabel(o)));
      }
      break;
    case "datepicker":
      input = el("input", { ...common, type: "date", value: e.initial_date || "" });
      break;
    case "timepicker":
      input = el("input", { ...common, type: "time", value: e.initial_time || "" });
      break;
    case "number_input":
      input = el("input", { ...common, type: "number", step: e.is_decimal_allowed ? "any" : "1", value: e.initial_value || "" });
      break;
    case "plain_text_input":
      input = e.multiline
        ? el("textarea", { ...common, rows: 3, placeholder: plain(e.placeholder) })
        : el("input", { ...common, type: "text", placeholder: plain(e.placeholder) });
      if (e.initial_value) input.value = e.initial_value;
      break;
    default:
      input = el("input", { ...common, type: "text" });
  }
  const id = `in-${b.block_id}-${e.action_id}`;
  input.id = id;
  return el("div", { class: `block-input${err ? " has-error" : ""}`, "data-block-id": b.block_id },
    el("label", { for: id }, plain(b.label), b.optional ? el("span", { class: "optional" }, " (optional)") : null),
    input,
    b.hint ? el("div", { class: "hint-text" }, plain(b.hint)) : null,
    err ? el("div", { class: "error" }, err) : null);
}

function renderModal() {
  const root = $("#modal-root");
  const views = (ui.data && ui.data.views) || [];
  const v = views[views.length - 1];
  const key = v ? JSON.stringify([v.id, v.blocks, v.errors, v.title]) : "";
  if (key === ui.modalKey) return;
  ui.modalKey = key;
  // like Slack, keep what was typed in a view that is covered (a pushed view) or updated
  if (ui.modalShownId) ui.modalDrafts[ui.modalShownId] = modalValues();
  ui.modalShownId = v ? v.id : "";
  root.replaceChildren();
  if (!v) return;
  const errors = v.errors || {};
  const content = el("div", { class: "content" });
  for (const b of v.blocks || []) {
    if (b.type === "input") content.append(modalInput(b, errors));
    else content.append(...renderBlocks([b], { view: v.id }));
  }
  if (errors[""]) content.append(el("div", { class: "form-error" }, errors[""]));
  const modal = el("div", { class: "modal", role: "dialog", "aria-modal": "true", "aria-label": plain(v.title), "data-view-id": v.id },
    el("div", { class: "title" }, plain(v.title), el("span", { class: "tag" }, "sandbox modal")),
    content,
    el("div", { class: "foot" },
      el("button", { type: "button", class: "bk", onclick: () => closeModal(v.id) }, plain(v.close) || "Cancel"),
      v.submit ? el("button", { type: "button", class: "bk primary", onclick: () => submitModal(v) }, plain(v.submit)) : null));
  root.append(el("div", { class: "overlay" }, modal));
  const draft = ui.modalDrafts[v.id] || {};
  for (const input of root.querySelectorAll("[data-action-id]")) {
    const kept = (draft[input.dataset.blockId] || {})[input.dataset.actionId];
    if (kept !== undefined && !input.multiple) input.value = kept;
  }
}

function modalValues() {
  const values = {};
  for (const input of document.querySelectorAll("#modal-root [data-action-id]")) {
    const { blockId, actionId, type } = input.dataset;
    let value;
    if (input.multiple) value = [...input.selectedOptions].map((o) => o.value);
    else value = input.value;
    if (value === "" || (Array.isArray(value) && !value.length)) continue;
    if (type === "number_input") value = String(value);
    (values[blockId] = values[blockId] || {})[actionId] = value;
  }
  return values;
}

async function submitModal(v) {
  await post("ui/submit", { as: ui.me, view_id: v.id, values: modalValues() }, "Submitted");
  refreshNow();
}
async function closeModal(id) {
  await post("ui/close", { as: ui.me, view_id: id });
  refreshNow();
}

// ------------------------------------------------------------------ actions

function toast(text, isError) {
  const t = $("#toast");
  t.textContent = text;
  t.className = isError ? "error" : "";
  t.hidden = false;
  clearTimeout(ui.toastTimer);
  ui.toastTimer = setTimeout(() => { t.hidden = true; }, isError ? 6000 : 2500);
}

async function post(path, body, okText) {
  try {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      toast(data.error || `The app answered ${data.status || r.status}: ${data.body || ""}`, true);
      return null;
    }
    if (okText) toast(okText);
    return data;
  } catch (err) {
    toast(`Could not reach the sandbox: ${err}`, true);
    return null;
  }
}

async function act(action, ctx, confirm) {
  if (confirm && !window.confirm(`${plain(confirm.title)}\n\n${plain(confirm.text)}`)) return;
  if (ctx.view) {
    // a button inside a modal (the answer form's "Add details"): sent with what the form holds
    await post("ui/view-action", { as: ui.me, view_id: ctx.view, action_id: action.action_id, values: modalValues() });
    refreshNow();
    return;
  }
  await post("ui/action", { as: ui.me, channel: ctx.channel, ts: ctx.ts, ...action });
  refreshNow();
}

async function send(text, threadTs) {
  if (!ui.me) return toast("Pick who you are first.", true);
  const r = await post("ui/send", { as: ui.me, channel: ui.channel, text, thread_ts: threadTs || null });
  ui.scrollNext = true;
  refreshNow();
  return r;
}

// ------------------------------------------------------------------ layout

const KIND_LABEL = { sales: "sales", services: "services", marketing: "marketing", pm: "PM", triage: "triage" };

function renderSidebar() {
  const nav = $("#sidebar");
  nav.replaceChildren();
  const groups = [
    ["Channels", (c) => !c.is_im && c.kind !== "pm"],
    ["PM channels", (c) => !c.is_im && c.kind === "pm"],
    ["Direct messages", (c) => c.is_im],
  ];
  for (const [title, test] of groups) {
    const list = ui.data.channels.filter(test);
    if (!list.length) continue;
    nav.append(el("h2", {}, title));
    for (const c of list) {
      const count = (ui.data.messages[c.id] || []).length;
      const unread = c.id !== ui.channel && count > (ui.seen[c.id] || 0);
      const label = c.is_im ? `${ui.data.bot.name} (DM)` : `# ${c.name}`;
      nav.append(el("a", {
        href: `#channel=${encodeURIComponent(c.id)}`, class: `${c.id === ui.channel ? "active" : ""} ${unread ? "unread" : ""}`,
        "data-channel": c.id,
      }, label, KIND_LABEL[c.kind] ? el("span", { class: "kind" }, KIND_LABEL[c.kind]) : null));
    }
  }
}

function renderWho() {
  const sel = $("#who");
  const people = Object.values(ui.data.users).filter((u) => !u.is_bot);
  const key = JSON.stringify(people.map((u) => [u.id, u.real_name, u.title]));
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.replaceChildren(...people.map((u) => el("option", { value: u.id }, `${u.real_name}${u.title ? ` — ${u.title}` : ""}`)));
  }
  if (!people.some((u) => u.id === ui.me) && people.length) {
    ui.me = people[0].id;
    refreshNow();
  }
  if (ui.me && ui.team) localStorage.setItem(`canwe-sandbox-as:${ui.team}`, ui.me);
  sel.value = ui.me;
}

function renderWorkspaces() {
  // The switcher: one tab for each workspace canwe is installed in, and "Add to Slack".
  const box = $("#workspaces");
  const list = ui.data.workspaces || [];
  const key = JSON.stringify([list, ui.team, ui.data.install_url]);
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    box.replaceChildren(
      ...list.map((w) => el("button", {
        type: "button", class: `workspace${w.id === ui.team ? " active" : ""}`, "data-team": w.id,
        "aria-pressed": w.id === ui.team ? "true" : "false",
        onclick: () => switchWorkspace(w.id),
      }, w.name)),
      ui.data.install_url ? el("a", { class: "add-to-slack", id: "add-to-slack", href: ui.data.install_url }, "Add to Slack") : null);
  }
  const none = !list.length;
  $("#layout").hidden = none;
  $("#install-first").hidden = !none;
  $("#install-first-button").href = ui.data.install_url || "#";
  $(".who").hidden = none;
}

function chooseWorkspace(data) {
  // Keep the workspace shown if canwe is installed there; else the newest after an install,
  // else the first. True when the choice changed (the state is then asked again, for it).
  const list = data.workspaces || [];
  if (!list.length) return false;
  let team = ui.team;
  if (ui.newest) team = list[list.length - 1].id;
  else if (!list.some((w) => w.id === team)) team = list[0].id;
  ui.newest = false;
  if (team === ui.team && data.workspace === team) return false;
  if (team !== ui.team) setWorkspace(team);
  return true;
}

function setWorkspace(team) {
  ui.team = team;
  localStorage.setItem("canwe-sandbox-workspace", team);
  ui.me = localStorage.getItem(`canwe-sandbox-as:${team}`) || "";
  ui.channel = null;
  ui.thread = null;
  ui.seen = {};
  ui.modalKey = "";
  writeHash();
}

function switchWorkspace(team) {
  if (team === ui.team) return;
  setWorkspace(team);
  refreshNow();
}

function renderControls() {
  const box = $("#controls");
  const controls = ui.data.controls || [];
  const key = JSON.stringify(controls);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...controls.map((c) => el("button", {
    type: "button", "data-control": c.id,
    onclick: async () => {
      const r = await post("ui/control", { id: c.id });
      if (r && r.message) toast(r.message);
      refreshNow();
    },
  }, c.label)));
}

function renderClock() {
  // Every poll: the sandbox clock moves with real time as well as with "+1 hour"/"+1 day".
  const box = $("#sandbox-clock");
  const clock = ui.data && ui.data.clock;
  box.hidden = !clock;
  if (!clock) return;
  box.replaceChildren(el("span", { class: "label" }, "🕐 Sandbox time"), " ", el("span", { class: "now" }, clock.now));
  box.title = `The bot's clock, in ${clock.zone}; the buttons skip it ahead`;
}

function render() {
  if (!ui.data) return;
  renderWorkspaces();
  if (!(ui.data.workspaces || []).length) return;
  renderWho();
  renderControls();
  const channels = ui.data.channels;
  if (!channels.some((c) => c.id === ui.channel)) ui.channel = channels.length ? channels[0].id : null;
  renderSidebar();
  const c = channels.find((ch) => ch.id === ui.channel);
  const msgs = (ui.data.messages[ui.channel] || []);
  ui.seen[ui.channel] = msgs.length;
  $("#channel-head").replaceChildren(
    el("span", {}, c ? (c.is_im ? `${ui.data.bot.name} (direct message)` : `# ${c.name}`) : ""),
    el("span", { class: "sub" }, c && KIND_LABEL[c.kind] ? `${KIND_LABEL[c.kind]} channel` : ""));
  fillMessages($("#messages"), msgs.filter((m) => !m.thread_ts), ui.channel, false);
  const pane = $("#thread-pane");
  const parent = ui.thread && msgs.find((m) => m.ts === ui.thread);
  if (parent) {
    pane.hidden = false;
    $("#thread-title").textContent = `Thread in ${c.is_im ? "DM" : "#" + c.name}`;
    const replies = msgs.filter((m) => m.thread_ts === ui.thread);
    fillMessages($("#thread-messages"), [parent, ...replies], ui.channel, true);
  } else {
    pane.hidden = true;
  }
  ui.scrollNext = false;
  renderModal();
}

function openThread(ts) {
  ui.thread = ts;
  ui.scrollNext = true;
  writeHash();
  render();
}

function writeHash() {
  const h = `#workspace=${encodeURIComponent(ui.team || "")}&channel=${encodeURIComponent(ui.channel || "")}${ui.thread ? `&thread=${encodeURIComponent(ui.thread)}` : ""}`;
  if (location.hash !== h) history.replaceState(null, "", h);
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.has("installed")) ui.newest = true; // back from "Add to Slack"
  if (p.get("workspace") && p.get("workspace") !== ui.team) {
    const channel = p.get("channel");
    setWorkspace(p.get("workspace"));
    ui.channel = channel;
  }
  if (p.get("channel")) {
    if (p.get("channel") !== ui.channel) ui.thread = null;
    ui.channel = p.get("channel");
  }
  if (p.has("thread")) {
    ui.thread = p.get("thread") || null;
    ui.highlight = p.get("ts") || null;
  }
}

// ------------------------------------------------------------------ polling

async function poll() {
  for (;;) {
    const ctrl = new AbortController();
    ui.poller = ctrl;
    const since = ui.version === null ? "" : `&since=${ui.version}`;
    const team = ui.team ? `&team=${encodeURIComponent(ui.team)}` : "";
    try {
      const r = await fetch(`ui/state?as=${encodeURIComponent(ui.me)}${team}${since}`, { signal: ctrl.signal, cache: "no-store" });
      if (r.ok) {
        const data = await r.json();
        if (chooseWorkspace(data)) {
          ui.version = null; // ask again, for the workspace chosen
          continue;
        }
        const changed = !ui.data || data.version !== ui.version;
        ui.data = data;
        ui.version = data.version;
        if (changed) render();
        renderClock();
        document.body.dataset.version = String(data.version);
      } else {
        await new Promise((res) => setTimeout(res, 1000));
      }
    } catch (err) {
      if (err.name !== "AbortError") await new Promise((res) => setTimeout(res, 1000));
    }
  }
}

function refreshNow() {
  // Ask again at once (after an action, or when the viewer changed).
  ui.version = null;
  if (ui.poller) ui.poller.abort();
}

// ------------------------------------------------------------------ wiring

$("#who").addEventListener("change", (ev) => {
  ui.me = ev.target.value;
  localStorage.setItem(`canwe-sandbox-as:${ui.team}`, ui.me);
  ui.modalKey = "";
  refreshNow();
});
$("#composer").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#composer-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await send(text, null);
});
$("#thread-composer").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#thread-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await send(text, ui.thread);
});
$("#thread-close").addEventListener("click", () => { ui.thread = null; writeHash(); render(); });
$("#sidebar").addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-channel]");
  if (!a) return;
  ev.preventDefault();
  ui.channel = a.dataset.channel;
  ui.thread = null;
  ui.scrollNext = true;
  writeHash();
  render();
});
window.addEventListener("hashchange", () => { readHash(); ui.scrollNext = true; render(); });
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") {
    const v = ui.data && ui.data.views[ui.data.views.length - 1];
    if (v) closeModal(v.id);
  }
});

ui.me = localStorage.getItem(`canwe-sandbox-as:${ui.team}`) || "";
readHash();
poll();
