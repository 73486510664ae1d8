// The sandbox's chat client. Plain JavaScript, no build step, nothing from the network.
//
// Safety: nothing is ever parsed as HTML. Every message is built from its plain text and
// Telegram's entities (bold, italic, links ...) with createElement and text nodes, so the bot's
// formatting is limited to Telegram's subset by construction and what a person typed can never
// become markup or script. Links are kept only for http(s), tg: and mailto: addresses.
"use strict";

const ROLE_LABELS = {
  member: "Đảng viên · Member",
  secretary: "Bí thư chi bộ · Cell secretary",
  committee: "Cấp ủy viên · Committee member",
  propaganda: "Ban Tuyên giáo · Propaganda board",
};

const state = {
  personas: [],
  current: null, // the persona being played
  version: "",
  poll: null, // AbortController of the running long poll
  commands: [],
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// --- rendering Telegram text -------------------------------------------------------------------

const SAFE_URL = /^(https?:|tg:|mailto:)/i;

function safeLink(url, text) {
  if (typeof url !== "string" || !SAFE_URL.test(url.trim())) return el("span", "link-refused");
  const a = el("a");
  a.href = url.trim();
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.title = url;
  return a;
}

function entityElement(entity, text) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const span = el("span", "spoiler");
      span.addEventListener("click", () => span.classList.add("shown"));
      return span;
    }
    case "text_link": return safeLink(entity.url, text);
    case "url": return safeLink(/^https?:/i.test(text) ? text : "https://" + text, text);
    case "bot_command": {
      const a = el("a", "cmd");
      a.href = "#";
      a.addEventListener("click", (event) => {
        event.preventDefault();
        sendText(text);
      });
      return a;
    }
    default: return el("span", "entity-" + String(entity.type).replace(/[^a-z_]/g, ""));
  }
}

// Telegram's offsets count UTF-16 code units, exactly as JavaScript strings index.
function renderText(text, entities) {
  const root = document.createDocumentFragment();
  const sorted = (entities || [])
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  let next = 0;
  function fill(parent, start, end) {
    let pos = start;
    while (next < sorted.length && sorted[next].offset < end) {
      const entity = sorted[next];
      next += 1;
      if (entity.offset < pos) continue; // overlaps a sibling: Telegram nests, never crosses
      parent.appendChild(document.createTextNode(text.slice(pos, entity.offset)));
      const stop = Math.min(entity.offset + entity.length, end);
      const node = entityElement(entity, text.slice(entity.offset, stop));
      fill(node, entity.offset, stop);
      parent.appendChild(node);
      pos = stop;
    }
    parent.appendChild(document.createTextNode(text.slice(pos, end)));
  }
  fill(root, 0, text.length);
  return root;
}

function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
  return (bytes / 1024 / 1024).toFixed(1) + " MB";
}

function fileUrl(file, download) {
  return "/api/files/" + encodeURIComponent(file.id) + (download ? "?download=1" : "");
}

function renderMessage(message) {
  const box = el("div", "msg " + (message.from_bot ? "bot" : "user"));
  box.dataset.messageId = String(message.id);
  box.dataset.kind = message.kind;
  if (message.kind === "photo" && message.file) {
    const img = el("img", "photo");
    img.src = fileUrl(message.file, false);
    img.alt = "Ảnh · Photo";
    box.appendChild(img);
  } else if (message.kind === "document" && message.file) {
    const doc = el("div", "doc");
    const extension = (message.file.name.split(".").pop() || "").slice(0, 4).toUpperCase();
    doc.appendChild(el("span", "icon", extension || "FILE"));
    const link = el("a", "download", message.file.name);
    link.href = fileUrl(message.file, true);
    link.setAttribute("download", message.file.name);
    doc.appendChild(link);
    doc.appendChild(el("span", "en", formatSize(message.file.size)));
    box.appendChild(doc);
  }
  if (message.text) {
    const body = el("div", "text");
    body.appendChild(renderText(message.text, message.entities));
    box.appendChild(body);
  }
  if (message.buttons && message.buttons.length) box.appendChild(renderKeyboard(message));
  const when = message.date ? new Date(message.date * 1000) : null;
  const meta = (when ? when.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "")
    + (message.edited ? " · đã sửa" : "");
  box.appendChild(el("span", "meta", meta));
  return box;
}

function renderKeyboard(message) {
  const keyboard = el("div", "keyboard");
  for (const row of message.buttons) {
    const line = el("div", "row");
    for (const button of row) {
      if (button.url) {
        const link = safeLink(button.url, button.text);
        link.classList.add("inline-btn");
        link.textContent = button.text;
        line.appendChild(link);
        continue;
      }
      const node = el("button", "inline-btn", button.text);
      node.type = "button";
      if (typeof button.data === "string") {
        node.addEventListener("click", () => press(message.id, button.data, node));
      } else {
        node.disabled = true;
      }
      line.appendChild(node);
    }
    keyboard.appendChild(line);
  }
  return keyboard;
}

function renderChat(view) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren();
  if (!view.messages.length) {
    const empty = el("div", "empty");
    empty.appendChild(el("p", null, "Chưa có tin nhắn. Gõ /start hoặc /help để bắt đầu."));
    empty.appendChild(el("p", "en", "No messages yet. Type /start or /help to begin."));
    list.appendChild(empty);
  }
  for (const message of view.messages) list.appendChild(renderMessage(message));
  if (nearBottom || state.justSwitched) list.scrollTop = list.scrollHeight;
  state.justSwitched = false;
  state.commands = view.commands || [];
  $("menu-button").disabled = !state.commands.length;
}

// --- talking to the page's server --------------------------------------------------------------

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) throw new Error((await response.text()) || response.statusText);
  return response.json();
}

function postJson(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

function chatPath(suffix) {
  return "/api/chats/" + state.current.id + (suffix || "");
}

async function pollLoop(persona, controller) {
  let failures = 0;
  while (!controller.signal.aborted && state.current === persona) {
    try {
      const view = await api(
        chatPath("?since=" + encodeURIComponent(state.version)),
        { signal: controller.signal },
      );
      if (controller.signal.aborted || state.current !== persona) return;
      failures = 0;
      if (view.version !== state.version) {
        state.version = view.version;
        renderChat(view);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      failures += 1;
      showToast("Mất kết nối với sandbox… · Lost the sandbox, retrying…");
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * failures)));
    }
  }
}

function selectPersona(persona) {
  if (state.poll) state.poll.abort();
  state.current = persona;
  state.version = "";
  state.justSwitched = true;
  for (const node of document.querySelectorAll(".persona")) {
    node.classList.toggle("active", node.dataset.persona === String(persona.id));
  }
  $("chat-title").textContent = persona.name;
  $("chat-sub").textContent = [persona.position, persona.unit].filter(Boolean).join(" · ");
  for (const id of ["input", "send", "file-input"]) $(id).disabled = false;
  $("commands").hidden = true;
  $("messages").replaceChildren();
  history.replaceState(null, "", "#" + persona.id);
  const controller = new AbortController();
  state.poll = controller;
  pollLoop(persona, controller);
  $("input").focus();
}

async function sendText(text) {
  if (!state.current || !text.trim()) return;
  try {
    await postJson(chatPath("/messages"), { text });
  } catch (error) {
    showToast("Không gửi được · Not sent: " + error.message);
  }
}

async function press(messageId, data, node) {
  node.disabled = true;
  try {
    const answer = await postJson(chatPath("/press"), { message_id: messageId, data });
    if (answer.text) (answer.alert ? showAlert : showToast)(answer.text);
  } catch (error) {
    showToast("Nút không còn dùng được · This button is gone: " + error.message);
  } finally {
    node.disabled = false;
  }
}

async function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  const caption = $("input").value;
  if (caption.trim()) form.append("caption", caption);
  try {
    await api(chatPath("/uploads"), { method: "POST", body: form });
    $("input").value = "";
  } catch (error) {
    showToast("Không gửi được tệp · File not sent: " + error.message);
  }
}

let toastTimer = null;
function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 3500);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
}

// --- the page ----------------------------------------------------------------------------------

function personaButton(persona) {
  const item = el("li");
  const button = el("button", "persona");
  button.type = "button";
  button.dataset.persona = String(persona.id);
  button.appendChild(el("span", "name", persona.name));
  if (persona.featured) button.appendChild(el("span", "role", ROLE_LABELS[persona.featured] || ""));
  button.appendChild(el("span", "where", [persona.position, persona.unit].filter(Boolean).join(" · ")));
  button.addEventListener("click", () => selectPersona(persona));
  item.appendChild(button);
  return item;
}

function toggleCommands() {
  const box = $("commands");
  if (!box.hidden) { box.hidden = true; return; }
  box.replaceChildren();
  for (const command of state.commands) {
    const button = el("button");
    button.type = "button";
    button.appendChild(el("span", "c", "/" + command.command));
    button.appendChild(document.createTextNode(command.description));
    button.addEventListener("click", () => {
      box.hidden = true;
      sendText("/" + command.command);
    });
    box.appendChild(button);
  }
  box.hidden = false;
}

async function start() {
  const data = await api("/api/personas");
  state.personas = data.personas;
  for (const persona of data.personas) {
    $(persona.featured ? "featured" : "others").appendChild(personaButton(persona));
  }
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("input");
    const text = input.value;
    input.value = "";
    sendText(text);
  });
  $("input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) upload(file);
  });
  $("menu-button").addEventListener("click", toggleCommands);
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  const wanted = Number(location.hash.slice(1));
  const initial = data.personas.find((p) => p.id === wanted);
  if (initial) selectPersona(initial);
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch((error) => showToast("Sandbox: " + error.message));
});
