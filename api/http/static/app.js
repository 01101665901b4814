// The support agents' page: loads the templates, streams a rewrite from POST /v1/rewrites
// (fetch + a small SSE parser, since EventSource can neither POST nor send a key header), then
// shows the checked rewrite in a box the agent may edit, the fact guard's verdict in plain words,
// and the diff to the draft. With the service's feedback store on (data-feedback="on"), Copy and
// "Not useful" tell it what the agent did with the rewrite (POST /v1/rewrites/{id}/feedback).
// A draft may be text, Markdown or HTML (the request's `format`): an HTML draft and an HTML rewrite
// are shown rendered, in sandboxed frames (no scripts, no navigation, no images fetched) after a
// sanitising pass of this page's own, and the rewrite as its source too, which is what the agent
// edits and copies. The diff is always of the visible text, shown as text.
"use strict";

(() => {
  const KEY_STORE = "reply-rewriter.api-key";
  const TEMPLATE_STORE = "reply-rewriter.template";
  const FORMAT_STORE = "reply-rewriter.format";
  const VIEW_STORE = "reply-rewriter.html-view"; // the reply of an HTML draft: rendered or source
  const FORMATS = ["text", "markdown", "html"];
  const $ = (id) => document.getElementById(id);
  const el = {
    form: $("rewrite-form"), customer: $("customer-message"), draft: $("draft"),
    template: $("template"), version: $("template-version"), templateHint: $("template-hint"),
    variables: $("variables"), variableFields: $("variable-fields"),
    keySection: $("key-section"), key: $("api-key"), forgetKey: $("forget-key"),
    keySummary: document.querySelector("#key-section summary"),
    rewrite: $("rewrite"), stop: $("stop"), shortcut: $("shortcut"),
    output: $("output"), status: $("status"), error: $("error"), text: $("rewrite-text"),
    reply: $("reply"), replyText: $("reply-text"),
    resultActions: $("result-actions"), copy: $("copy"), again: $("again"), notUseful: $("not-useful"),
    result: $("result"), verdictSummary: $("verdict-summary"), verdictDetails: $("verdict-details"),
    diff: $("diff"), diffLegend: $("diff-legend"), meta: $("meta"),
    formats: [...document.querySelectorAll("input[name='format']")],
    draftPreview: $("draft-preview"), draftFrame: $("draft-frame"), draftPreviewHint: $("draft-preview-hint"),
    replyHow: $("reply-how"), tabs: $("reply-tabs"), tabRendered: $("tab-rendered"), tabSource: $("tab-source"),
    replyRendered: $("reply-rendered"), replyFrame: $("reply-frame"), replyRenderedHint: $("reply-rendered-hint"),
    replySource: $("reply-source"),
  };

  let templates = [];          // GET /v1/templates → templates
  let defaultTemplate = "";
  const variableValues = {};   // kept across template switches, by variable name
  let running = null;          // AbortController of the rewrite in flight
  let lastRequest = null;      // what the shown result was made from
  let lastResult = null;
  // Filled in by the server: "on" when the service records rewrites for the agents' feedback.
  const FEEDBACK = el.output.dataset.feedback === "on";
  // Mac keyboards send ⌘ where others send Ctrl (iPads report themselves as Macs).
  const IS_MAC = /Mac|iPhone|iPad|iPod/.test(`${navigator.platform} ${navigator.userAgent}`);
  const NUMBER = new Intl.NumberFormat("en");

  // --- small helpers ------------------------------------------------------------------------

  function make(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === "className") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function storageGet(name) {
    try { return window.localStorage.getItem(name) || ""; } catch { return ""; }
  }

  function storageSet(name, value) {
    try {
      if (value) window.localStorage.setItem(name, value);
      else window.localStorage.removeItem(name);
    } catch { /* storage disabled: the key lives in the field for this visit only */ }
  }

  function apiHeaders(extra) {
    const headers = { ...extra };
    const key = el.key.value.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  function joinAnd(parts) {
    if (parts.length <= 1) return parts.join("");
    return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  }

  function quoted(text) { return `“${text}”`; }

  const COUNT_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

  /** "three facts", "1,234 characters". */
  function count(n, one, many, words = true) {
    return `${(words && COUNT_WORDS[n]) || NUMBER.format(n)} ${n === 1 ? one : many}`;
  }

  // --- messages by a field ------------------------------------------------------------------

  /** The name an agent sees on a control: its label's own text ("Your draft", "Tone"...). */
  function labelOf(control) {
    const label = control.labels && control.labels[0];
    return label ? label.firstChild.textContent.trim() : control.id;
  }

  /** A message right under a control, read with it by screen readers, until clearFieldError. */
  function setFieldError(control, text) {
    const id = `${control.id}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = make("p", { className: "field-error", id });
      control.after(note);
      control.setAttribute("aria-describedby", `${id} ${control.getAttribute("aria-describedby") || ""}`.trim());
    }
    note.textContent = text;
    control.setAttribute("aria-invalid", "true");
  }

  function clearFieldError(control) {
    const note = document.getElementById(`${control.id}-error`);
    if (note) {
      note.remove();
      const rest = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== note.id);
      if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    control.removeAttribute("aria-invalid");
  }

  /** The messages of the last request; the API key's stays until the key is changed. */
  function clearRequestErrors() {
    for (const control of el.form.querySelectorAll("[aria-invalid]")) {
      if (control !== el.key) clearFieldError(control);
    }
  }

  /** Focuses a control that has a message; returns the status line's pointer to it. */
  function pointTo(control) {
    if (control === el.key) el.keySection.open = true;
    control.focus();
    return `see the message under ${quoted(labelOf(control))}`;
  }

  /** Shows each [control, message] under its control and points to the first. */
  function showFieldErrors(pairs) {
    for (const [control, message] of pairs) setFieldError(control, message);
    return pointTo(pairs[0][0]);
  }

  // --- length limits (filled into data-max-chars by the server from its settings) ----------

  function limitOf(area) {
    const limit = Number(area.dataset.maxChars);
    return Number.isInteger(limit) && limit > 0 ? limit : 0;
  }

  /** Characters as the service counts them (code points: an emoji is one). */
  function length(text) {
    return Array.from(text).length;
  }

  function showCount(area) {
    const out = $(`${area.id}-count`);
    const limit = limitOf(area);
    out.hidden = !limit;
    if (!limit) return;
    const left = limit - length(area.value);
    out.textContent = left >= 0
      ? `${count(left, "character", "characters", false)} left`
      : `${count(-left, "character", "characters", false)} over the limit of ${NUMBER.format(limit)}`;
    out.classList.toggle("over", left < 0);
  }

  /** The message for a box over its limit, or "". */
  function overLimit(area) {
    const limit = limitOf(area);
    const n = length(area.value);
    if (!limit || n <= limit) return "";
    const what = area === el.draft ? "Your draft" : "The customer's message";
    return `${what} is ${count(n, "character", "characters", false)} long; the limit is ${NUMBER.format(limit)}. ` +
      `Shorten it by ${count(n - limit, "character", "characters", false)}, then try again.`;
  }

  // --- HTML, rendered safely -----------------------------------------------------------------

  // The service sanitises the HTML it answers, but this page trusts no markup: the agent's own
  // draft is sanitised by nobody, and a rewrite passes through the agent's edits. HTML is shown
  // only in a frame with a bare `sandbox` (no scripts, forms, popups or modals, no navigating this
  // page, an origin of its own), and is first cut down here to an allow-list of elements and
  // attributes: nothing that runs, loads anything (no image, so no tracking pixel, is fetched) or
  // styles inline, which the page's Content-Security-Policy, inherited by the frame, would refuse.

  const DROPPED = new Set(("script style template noscript iframe frame frameset object embed applet svg " +
    "math link meta base title head audio video source track canvas map area form input button select " +
    "textarea option optgroup datalist output progress meter dialog portal fencedframe slot param").split(" "));
  const KEPT = new Set(("a abbr address article aside b bdi bdo big blockquote br caption center cite code " +
    "col colgroup data dd del details dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 " +
    "header hr i img ins kbd li main mark nav ol p pre q rp rt ruby s samp section small span strike " +
    "strong sub summary sup table tbody td tfoot th thead time tr tt u ul var wbr").split(" "));
  const ATTRIBUTES = new Set(("href src alt title width height colspan rowspan headers scope start reversed " +
    "type value dir lang align valign border cellpadding cellspacing bgcolor color face size datetime open").split(" "));
  const LINK_SCHEMES = new Set(["http:", "https:", "mailto:", "tel:"]);
  const BLOCKS = new Set(("address article aside blockquote caption center dd details div dl dt figcaption " +
    "figure footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tr ul").split(" "));
  const FRAME_CSS = new URL("static/frame.css", document.baseURI).href;

  function urlOf(value) {
    try { return new URL(value, document.baseURI); } catch { return null; }
  }

  const START_TAG = /<[a-zA-Z][^\s/>]*(?:"[^"]*"|'[^']*'|[^'">])*>/g;
  const STYLE_ELEMENT = /<style\b(?:"[^"]*"|'[^']*'|[^'">])*>[\s\S]*?(?:<\/style\s*>|$)/gi;

  /** `source` with its style elements taken out and its event handler and style attributes
   * renamed, before the browser parses it: parsing alone would not run them (the document is
   * inert), but Chromium reports each to the console as a breach of the page's CSP. What this
   * misses is removed from the parsed document all the same. */
  function defused(source) {
    return source.replace(STYLE_ELEMENT, "")
      .replace(START_TAG, (tag) => tag.replace(/([\s/"'])(on[a-z-]*|style)(?=\s*=)/gi, "$1data-x-$2"));
  }

  /** `source` cut down to markup safe to show: {body, text (roughly as it reads), spaced (how many
   * blocks have a margin), blocked (how many images are not shown)}. DOMParser's document is
   * inert: nothing in it runs or loads. */
  function cleanHtml(source) {
    const doc = new DOMParser().parseFromString(defused(source), "text/html");
    let blocked = 0;
    const clean = (parent) => {
      for (const node of [...parent.childNodes]) {
        if (node.nodeType === Node.TEXT_NODE) continue;
        if (node.nodeType !== Node.ELEMENT_NODE || DROPPED.has(node.localName)) { node.remove(); continue; }
        clean(node);
        const tag = node.localName;
        if (!KEPT.has(tag)) { node.replaceWith(...node.childNodes); continue; } // <o:p>, <x-custom>: their text stays
        for (const { name } of [...node.attributes]) {
          if (!ATTRIBUTES.has(name)) node.removeAttribute(name); // on*, style, class, id, target, ping...
        }
        if (tag === "a" && node.hasAttribute("href")) {
          const url = urlOf(node.getAttribute("href"));
          if (url && LINK_SCHEMES.has(url.protocol)) {
            // A click opens nothing: popups are not allowed in the sandbox (the frame stays as it is).
            node.setAttribute("target", "_blank");
            node.setAttribute("rel", "noopener noreferrer");
          } else {
            node.removeAttribute("href"); // javascript:, data:, vbscript:...
          }
        } else {
          node.removeAttribute("href");
        }
        if (node.hasAttribute("src")) { // an image: nothing is fetched (tracking pixels...), its alt text stays
          if (tag === "img") blocked += 1;
          node.removeAttribute("src");
        }
      }
    };
    clean(doc.body);
    const spaced = doc.body.querySelectorAll("p, ul, ol, blockquote, table, pre, h1, h2, h3, h4, h5, h6").length;
    return { body: doc.body.innerHTML, text: readingOf(doc.body), spaced, blocked };
  }

  /** The text of cleaned markup with its line breaks, to size the frame by. */
  function readingOf(root) {
    let out = "";
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) out += child.textContent.replace(/\s+/g, " ");
        else if (child.localName === "br") out += "\n";
        else {
          const block = BLOCKS.has(child.localName);
          if (block) out += "\n";
          walk(child);
          if (block) out += "\n";
        }
      }
    };
    walk(root);
    return out.replace(/ *\n[\s]*/g, "\n").trim();
  }

  function attribute(value) {
    return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }

  /** Shows `source` rendered in `frame` (a sandboxed iframe), about as tall as its text; returns
   * how many images were left out. */
  function renderHtml(frame, source) {
    const { body, text, spaced, blocked } = cleanHtml(source);
    const doc = `<!doctype html><html lang="${document.documentElement.lang}"><head><meta charset="utf-8">` +
      `<link rel="stylesheet" href="${attribute(FRAME_CSS)}"></head><body>${body}</body></html>`;
    if (frame.getAttribute("srcdoc") !== doc) frame.srcdoc = doc;
    // The frame's document is out of this page's reach (that is the point), so it cannot be
    // measured: its height is guessed from the text, and the agent may drag it taller.
    // In frame.css's terms: 15px text, lines of 22.5px, blocks .75em apart, a body margin of .6rem.
    const perLine = Math.max(20, Math.floor(((frame.parentElement.clientWidth || 600) - 30) / 7.5));
    const lines = text.split("\n").reduce((sum, line) => sum + Math.max(1, Math.ceil(length(line) / perLine)), 0);
    frame.style.height = `${Math.round(Math.min(480, Math.max(80, 22.5 * lines + 11.25 * spaced + 24)))}px`;
    return blocked;
  }

  /** A frame's hint, with the images it left out. */
  function noteImages(hint, blocked) {
    hint.dataset.base = hint.dataset.base || hint.textContent.replace(/\s+/g, " ").trim();
    const some = count(blocked, "image", "images");
    const which = blocked === 1 ? "An image is" : `${some.charAt(0).toUpperCase()}${some.slice(1)} are`;
    hint.textContent = blocked ? `${hint.dataset.base} ${which} not shown here: nothing is loaded from other sites.` : hint.dataset.base;
  }

  // --- the draft's format ---------------------------------------------------------------------

  function selectedFormat() {
    const checked = el.formats.find((radio) => radio.checked);
    return checked ? checked.value : "text";
  }

  let previewTimer = 0;

  /** An HTML draft, rendered under its box as the agent types or pastes (a moment after). */
  function previewDraft(now = false) {
    clearTimeout(previewTimer);
    const html = selectedFormat() === "html";
    el.draft.classList.toggle("code", html);
    if (!html || !el.draft.value.trim()) {
      el.draftPreview.hidden = true;
      el.draftFrame.removeAttribute("srcdoc");
      return;
    }
    if (!now) {
      previewTimer = setTimeout(previewDraft, 250, true);
      return;
    }
    el.draftPreview.hidden = false;
    noteImages(el.draftPreviewHint, renderHtml(el.draftFrame, el.draft.value));
  }

  // --- errors in words ----------------------------------------------------------------------

  class ApiProblem extends Error {
    constructor(status, body, headers) {
      super((body && body.detail) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
      this.title = body && body.title;
      this.detail = body && body.detail;
      this.requestId = (body && body.request_id) || (headers && headers.get("x-request-id")) || "";
      this.retryAfter = headers ? Number(headers.get("retry-after")) || 0 : 0;
    }
  }

  async function problemFrom(response) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON: explain by status alone */ }
    return new ApiProblem(response.status, body, response.headers);
  }

  function keyRefused(err) {
    return err instanceof ApiProblem && (err.status === 401 || err.status === 403);
  }

  const API_FIELDS = { draft: "draft", customer_message: "customer-message", template: "template", template_version: "template-version" };

  /** The page's control for a field the API names ("draft", "variables.tone"...), or null. */
  function controlFor(field) {
    if (typeof field !== "string") return null;
    if (field === "variables" || field.startsWith("variables.")) {
      return document.getElementById(`var-${field.slice("variables.".length)}`) || el.template;
    }
    return API_FIELDS[field] ? $(API_FIELDS[field]) : null;
  }

  /** A 422's messages as [control, message] for the fields of this page: from `errors`, else
   * from the field it names (`field`, or the template's `variables` or `template`). */
  function fieldErrorsOf(err) {
    if (!(err instanceof ApiProblem) || err.status !== 422) return [];
    const body = err.body;
    let named = Array.isArray(body.errors) ? body.errors.map((e) => [e.field, e.message]) : [];
    if (!named.length && body.field) named = [[body.field, err.detail]];
    if (!named.length && Array.isArray(body.variables)) named = body.variables.map((name) => [`variables.${name}`, err.detail]);
    if (!named.length && body.template) named = [["template", err.detail]];
    const pairs = [];
    for (const [field, message] of named) {
      const control = controlFor(field);
      if (!control || pairs.some(([c]) => c === control)) continue;
      let text = String(message || err.detail || "");
      if (text.startsWith(`${field}: `)) text = text.slice(field.length + 2); // "draft: 9000 characters is..."
      text = text.charAt(0).toUpperCase() + text.slice(1);
      pairs.push([control, /[.!?]$/.test(text) ? text : `${text}.`]);
    }
    pairs.unplaced = named.some(([field]) => !controlFor(field)); // also about fields the page lacks
    return pairs;
  }

  function later(seconds) {
    return seconds ? `Wait ${seconds} second${seconds === 1 ? "" : "s"} and try again.` : "Try again in a moment.";
  }

  /** The sentence an agent reads for a failed call. */
  function explain(err, midStream = false) {
    if (!(err instanceof ApiProblem)) {
      if (err && err.name === "TypeError") {
        return { text: "Could not reach the Reply Rewriter service. Check your connection, then try again." };
      }
      return { text: `Something went wrong in this page: ${(err && err.message) || err}. Reload the page and try again.` };
    }
    const detail = err.detail ? ` (${err.detail.replace(/\.$/, "")}.)` : "";
    switch (err.status) {
      case 401:
      case 403:
        return {
          text: el.key.value.trim()
            ? "The service did not accept this API key. Check it, then try again."
            : "This service needs an API key. Enter yours here, then try again.",
        };
      case 413: return { text: `Your draft is too long for the service.${detail}` };
      case 415:
      case 422: return { text: `The service could not use this request.${detail}` };
      case 429: return { text: `Too many rewrites at once. ${later(err.retryAfter)}${detail}` };
      case 502:
        return midStream
          ? { text: `The language model stopped answering. ${later(0)}${detail}` }
          : { text: `The language model did not answer properly, even after retrying. ${later(0)}${detail}` };
      case 503: return { text: `The service is busy right now. ${later(err.retryAfter)}${detail}` };
      case 504: return { text: `The language model took too long to answer. Try again, or shorten the draft.${detail}` };
      default:
        return { text: `The service could not rewrite this (${err.title || `error ${err.status}`}). ${later(0)}${detail}` };
    }
  }

  function showError(err, midStream = false) {
    const { text } = explain(err, midStream);
    const prefix = midStream ? "The rewrite failed partway and was discarded. " : "";
    el.error.replaceChildren(make("p", { text: prefix + text }));
    if (err instanceof ApiProblem && err.requestId) {
      el.error.append(make("p", { className: "hint", text: `Reference for your admin: ${err.requestId}` }));
    }
    el.error.hidden = false;
  }

  function clearError() {
    el.error.hidden = true;
    el.error.replaceChildren();
  }

  // --- the API key ----------------------------------------------------------------------------

  function describeKey() {
    el.keySummary.textContent = storageGet(KEY_STORE) ? "API key (saved in this browser)" : "API key";
  }

  /** After an answer to a request sent with `key`: a key that worked is saved, a refused one is
   * not (and is forgotten if it was saved), and its message goes by the key field. */
  function noteKey(key, outcome) {
    if (outcome === true) {
      storageSet(KEY_STORE, key);
      if (el.key.value.trim() === key) clearFieldError(el.key);
    } else if (keyRefused(outcome)) {
      if (storageGet(KEY_STORE) === key) storageSet(KEY_STORE, "");
      el.keySection.open = true;
      setFieldError(el.key, explain(outcome).text);
    }
    describeKey();
  }

  // --- templates ----------------------------------------------------------------------------

  async function loadTemplates() {
    el.templateHint.textContent = "Loading templates…";
    const key = el.key.value.trim();
    try {
      const response = await fetch("v1/templates", { headers: apiHeaders({ Accept: "application/json" }), cache: "no-store" });
      if (!response.ok) throw await problemFrom(response);
      const data = await response.json();
      templates = data.templates || [];
      defaultTemplate = data.default || "";
      noteKey(key, true);
    } catch (err) {
      templates = [];
      noteKey(key, err);
      // A refused key is explained once, by the key field.
      el.templateHint.textContent = keyRefused(err)
        ? "The default template is used until the service accepts your API key."
        : `Could not load the templates: ${explain(err).text} The default template is used.`;
    }
    fillTemplates();
  }

  function fillTemplates() {
    const wanted = el.template.value || storageGet(TEMPLATE_STORE) || defaultTemplate;
    el.template.replaceChildren();
    if (!templates.length) el.template.append(make("option", { value: "", text: "Default" }));
    for (const tpl of templates) {
      const label = tpl.name === defaultTemplate ? `${tpl.name} (default)` : tpl.name;
      el.template.append(make("option", { value: tpl.name, text: label }));
    }
    if (templates.some((tpl) => tpl.name === wanted)) el.template.value = wanted;
    fillVersions();
  }

  function selectedTemplate() {
    return templates.find((tpl) => tpl.name === el.template.value) || null;
  }

  function fillVersions() {
    const tpl = selectedTemplate();
    const previous = el.version.value;
    el.version.replaceChildren(make("option", { value: "", text: tpl ? `Latest (v${tpl.latest_version})` : "Latest" }));
    if (tpl) {
      for (const version of [...tpl.versions].reverse()) {
        el.version.append(make("option", { value: String(version.version), text: `v${version.version}` }));
      }
      if (tpl.versions.some((v) => String(v.version) === previous)) el.version.value = previous;
    }
    describeTemplate();
  }

  function selectedVersion() {
    const tpl = selectedTemplate();
    if (!tpl) return null;
    const number = el.version.value ? Number(el.version.value) : tpl.latest_version;
    return tpl.versions.find((v) => v.version === number) || tpl.versions[tpl.versions.length - 1];
  }

  function describeTemplate() {
    const version = selectedVersion();
    if (!templates.length) return;
    el.templateHint.textContent = version ? (version.description || "").trim() : "";
    renderVariables(version ? version.variables || {} : {});
  }

  function humanName(name) {
    const words = name.replace(/[_-]+/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function renderVariables(variables) {
    el.variableFields.replaceChildren();
    const names = Object.keys(variables);
    el.variables.hidden = names.length === 0;
    for (const name of names) {
      const spec = variables[name] || {};
      const id = `var-${name}`;
      const hintId = `${id}-hint`;
      const input = make("input", { id, type: "text", autocomplete: "off", "data-variable": name });
      if (spec.description) input.setAttribute("aria-describedby", hintId);
      if (spec.default) input.placeholder = String(spec.default);
      if (spec.required) input.required = true;
      input.value = variableValues[name] || "";
      input.addEventListener("input", () => { variableValues[name] = input.value; });
      const label = make("label", { for: id, text: humanName(name) });
      if (spec.required) label.append(" ", make("span", { className: "optional", text: "(required)" }));
      const field = make("div", { className: "field" }, label, input);
      if (spec.description) field.append(make("p", { className: "hint", id: hintId, text: spec.description.trim() }));
      el.variableFields.append(field);
    }
  }

  // --- server-sent events over fetch --------------------------------------------------------

  function parseEvent(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // comments (keep-alive pings)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? { event, data: data.join("\n") } : null;
  }

  /** Yields {event, data} for each complete event of a text/event-stream body. */
  async function* sseEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
        // A "\r" at the end may be the first half of "\r\n": keep it for the next chunk.
        let hold = "";
        if (!done && buffer.endsWith("\r")) { hold = "\r"; buffer = buffer.slice(0, -1); }
        const blocks = buffer.replace(/\r\n?/g, "\n").split("\n\n");
        buffer = blocks.pop() + hold; // an unfinished event waits for more text (and is dropped at the end)
        for (const block of blocks) {
          const event = parseEvent(block);
          if (event) yield event;
        }
        if (done) return;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // --- the rewrite --------------------------------------------------------------------------

  function buildRequest() {
    const request = { draft: el.draft.value };
    const format = selectedFormat();
    if (format !== "text") request.format = format; // text is the service's default
    const customer = el.customer.value.trim();
    if (customer) request.customer_message = el.customer.value;
    if (el.template.value) request.template = el.template.value;
    if (el.template.value && el.version.value) request.template_version = Number(el.version.value);
    const variables = {};
    for (const input of el.variableFields.querySelectorAll("input[data-variable]")) {
      if (input.value.trim()) variables[input.dataset.variable] = input.value.trim();
    }
    if (Object.keys(variables).length) request.variables = variables;
    return request;
  }

  /** What the page itself refuses to send, as [control, message] pairs. */
  function formProblems() {
    const problems = [];
    if (!el.draft.value.trim()) problems.push([el.draft, "Write or paste your draft first."]);
    for (const area of [el.draft, el.customer]) {
      const message = overLimit(area);
      if (message) problems.push([area, message]);
    }
    return problems;
  }

  function startRewrite() {
    clearRequestErrors();
    const problems = formProblems();
    if (problems.length) {
      clearError();
      el.status.textContent = `Nothing was sent: ${showFieldErrors(problems)}.`;
      return;
    }
    lastRequest = buildRequest();
    run(lastRequest);
  }

  function resetOutput() {
    clearError();
    lastResult = null;
    el.text.textContent = "";
    el.text.classList.remove("preview");
    el.reply.hidden = true;
    el.replyText.value = "";
    showReplyAs("text");
    el.result.hidden = true;
    el.resultActions.hidden = true;
    el.notUseful.hidden = true;
    el.verdictSummary.textContent = "";
    el.verdictDetails.replaceChildren();
    el.diff.replaceChildren();
    el.meta.replaceChildren();
  }

  function setBusy(busy) {
    el.text.setAttribute("aria-busy", busy ? "true" : "false");
    el.stop.hidden = !busy;
    el.form.classList.toggle("busy", busy);
  }

  /** On a phone the output is under the form: bring it into view as soon as it has something. */
  function revealOutput() {
    const top = el.output.getBoundingClientRect().top;
    if (top >= 0 && top < window.innerHeight / 2) return;
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    el.output.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
  }

  async function run(request) {
    if (running) running.abort();
    const controller = new AbortController();
    running = controller;
    resetOutput();
    setBusy(true);
    el.status.textContent = "Rewriting… the text is checked against your draft when it is complete.";
    let preview = "";
    const key = el.key.value.trim();
    try {
      const response = await fetch("v1/rewrites", {
        method: "POST",
        headers: apiHeaders({ "Content-Type": "application/json", Accept: "text/event-stream, application/problem+json" }),
        body: JSON.stringify({ ...request, stream: true }),
        signal: controller.signal,
        cache: "no-store",
      });
      if (!response.ok) throw await problemFrom(response);
      noteKey(key, true);
      if (!(response.headers.get("content-type") || "").includes("text/event-stream")) {
        showResult(await response.json());
        return;
      }
      for await (const event of sseEvents(response.body)) {
        if (event.event === "delta") {
          const first = !preview;
          preview += JSON.parse(event.data).text;
          el.text.classList.add("preview");
          el.text.textContent = preview;
          if (first) revealOutput();
        } else if (event.event === "result") {
          showResult(JSON.parse(event.data));
          return;
        } else if (event.event === "error") {
          const body = JSON.parse(event.data);
          throw new ApiProblem(body.status || 502, body, null);
        }
      }
      throw new ApiProblem(502, { title: "Stream cut", detail: "the connection ended before the rewrite was complete" }, null);
    } catch (err) {
      if (controller.signal.aborted) {
        if (running === controller) {
          el.text.textContent = "";
          el.status.textContent = "Stopped. Nothing was rewritten; your draft is unchanged.";
        }
        return;
      }
      // Streamed text the guard has not passed is never left on screen.
      el.text.textContent = "";
      el.text.classList.remove("preview");
      el.copy.hidden = true; // nothing to copy, but "Try again" stays at hand
      el.notUseful.hidden = true;
      el.resultActions.hidden = false;
      const fields = fieldErrorsOf(err); // a 422 about fields of this page
      if (keyRefused(err)) {
        noteKey(key, err);
        el.status.textContent = `The rewrite failed: ${pointTo(el.key)}.`;
      } else if (fields.length) { // the message goes by the field it is about, not below
        el.status.textContent = `The rewrite failed: ${showFieldErrors(fields)}.`;
        if (fields.unplaced) { // and what is about fields the page does not have, below as well
          showError(err, Boolean(preview));
          revealOutput();
        }
      } else {
        showError(err, Boolean(preview));
        el.status.textContent = "The rewrite failed: see the message below.";
        revealOutput();
      }
    } finally {
      if (running === controller) {
        running = null;
        setBusy(false);
        // The button pressed may have been hidden meanwhile: put focus where the outcome is (on a
        // touch screen not in the reply box, which would open the keyboard over it).
        if (!document.activeElement || document.activeElement === document.body) {
          (el.reply.hidden ? el.again : touchOnly() ? el.copy : replyFocus()).focus();
        }
      }
    }
  }

  // --- the result ---------------------------------------------------------------------------

  const FACT_WORDS = {
    money: "the amount", percent: "the percentage", date: "the date", weekday: "the day", time: "the time",
    duration: "the time frame", url: "the link", link: "the link", email: "the email address", phone: "the phone number",
    card: "the card number", iban: "the IBAN", national_id: "the ID number", name: "the name",
    code: "the code", placeholder: "the placeholder",
    number: "the number", id: "the number",
  };
  /** What a lost part of an HTML or Markdown draft is, in words (the value: a link's target, else
   * the part's text). */
  const STRUCTURES = {
    link: (href) => `the link to ${href}`,
    image: (alt) => (alt && alt !== "image" ? `the image ${quoted(short(alt))}` : "an image"),
    table: (text) => (text && text !== "table" ? `the table ${quoted(short(text))}` : "a table"),
    "code block": (text) => (text && text !== "code_block" ? `the code block ${quoted(short(text))}` : "a code block"),
    emphasis: (text) => `the emphasis on ${quoted(short(text))}`,
    heading: (text) => `the heading ${quoted(short(text))}`,
    reference: (text) => `the link ${text}`,
    html: (text) => `the markup ${quoted(short(text))}`,
  };

  /** A long value cut to a few words: "Item Price Mug…". */
  function short(text, most = 40) {
    const flat = String(text).replace(/\s+/g, " ").trim();
    return length(flat) <= most ? flat : `${Array.from(flat).slice(0, most - 1).join("").trimEnd()}…`;
  }

  // The languages the service tells apart (api/guard/language.py), by their ISO 639-1 codes.
  const LANGUAGES = {
    en: "English", es: "Spanish", fr: "French", de: "German", pt: "Portuguese", it: "Italian", nl: "Dutch",
    sv: "Swedish", da: "Danish", no: "Norwegian", fi: "Finnish", pl: "Polish", cs: "Czech", sk: "Slovak",
    ro: "Romanian", hu: "Hungarian", tr: "Turkish", el: "Greek", ru: "Russian", uk: "Ukrainian",
    bg: "Bulgarian", hr: "Croatian", sl: "Slovenian", ca: "Catalan", ja: "Japanese", zh: "Chinese",
    ko: "Korean", ar: "Arabic", he: "Hebrew", hi: "Hindi", th: "Thai", vi: "Vietnamese", id: "Indonesian",
  };

  /** "Spanish" for "es"; a code the page does not know, in the browser's words, else as it is. */
  function languageName(code) {
    if (!code) return "";
    if (LANGUAGES[code]) return LANGUAGES[code];
    try {
      return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
    } catch {
      return code;
    }
  }

  const ID_CONTEXT = /\b(order|ticket|invoice|tracking|case|account|reference|booking|confirmation|transaction|claim|return|serial|subscription)\s*(?:number|no\.?|id|#|:)?\s*$/i;

  /** "the order number", "the amount"...: what a fact is, in words, using the text around it. */
  function factWords(kind, value, source) {
    if (kind === "id" && source) {
      const at = source.indexOf(value);
      const before = at >= 0 ? source.slice(Math.max(0, at - 40), at) : "";
      const match = before.match(ID_CONTEXT);
      if (match) return `the ${match[1].toLowerCase()} number`;
    }
    return FACT_WORDS[kind] || `the ${kind}`;
  }

  /** One phrase for the violations of one kind: "added three facts that are not in your draft: ...". */
  function describeViolations(kind, list, draft, rewrite, language) {
    const n = list.length;
    const facts = (source) => joinAnd(list.map((v) => STRUCTURES[v.fact] ? STRUCTURES[v.fact](v.value)
      : `${factWords(v.fact, v.value, source)} ${v.value}`));
    const distinct = (describe) => joinAnd([...new Set(list.map(describe))]);
    switch (kind) {
      case "lost": return n === 1 ? `dropped ${facts(draft)}` : `dropped ${count(n, "fact", "facts")} of your draft: ${facts(draft)}`;
      case "left out": return `left out ${joinAnd(list.map((v) => quoted(v.value)))}`;
      case "added": return n === 1 ? `added ${facts(rewrite)}, which is not in your draft`
        : `added ${count(n, "fact", "facts")} that are not in your draft: ${facts(rewrite)}`;
      case "altered": return `changed ${joinAnd(list.map((v) => {
        const changed = /was changed to (['"])(.*)\1$/.exec(v.detail || "");
        return `${factWords(v.fact, v.value, draft)} ${v.value}${changed ? ` to ${changed[2]}` : ""}`;
      }))}`;
      case "placeholder": return n === 1 ? `made up the placeholder ${list[0].value}`
        : `made up ${count(n, "placeholder", "placeholders")}: ${joinAnd(list.map((v) => v.value))}`;
      case "flipped": { // a negation or a decision turned round
        const said = [];
        const other = [];
        for (const v of list) {
          const turned = /^(.*) -> (.*)$/.exec(v.value || "");
          if (!turned) other.push(quoted(v.value));
          else if (said.length) said.push(`${quoted(turned[2])} where it says ${quoted(turned[1])}`);
          else said.push(`said ${quoted(turned[2])} where your draft says ${quoted(turned[1])}`);
        }
        if (other.length) said.push(`turned round what your draft says about ${joinAnd(other)}`);
        return joinAnd(said);
      }
      case "incomplete": return /empty/.test(list[0].detail || "") ? "came back empty" : "was cut off before the end";
      case "injection": // the output check: text a customer must never receive
        return distinct((v) => {
          if (v.fact === "instructions") return "repeated the service's own instructions";
          if (v.fact === "markup") return `contained web page code (${v.value})`;
          return `contained a chat-format marker (${v.value})`;
        });
      case "language": // "the rewrite is in English; the draft is in Spanish", or a paragraph of it
        return distinct((v) => {
          const said = /^(a paragraph of )?the rewrite is in (.+?); the draft is in (.+)$/.exec(v.detail || "");
          const theirs = said ? said[2] : languageName(v.value);
          const yours = said ? said[3] : language ? languageName(language) : "";
          const ending = yours ? `; your draft is in ${yours}` : "";
          return said && said[1] ? `has a paragraph in ${theirs}${ending}` : `is in ${theirs}${ending}`;
        });
      default: return distinct((v) => v.detail || v.kind);
    }
  }

  /** The violations grouped by kind, in the order the guard found them: "the rewrite dropped
   * ... It added three facts that are not in your draft: ...", or "" when there are none. */
  function describeProblems(violations, draft, rewrite, language) {
    const groups = new Map();
    for (const v of violations) {
      const kind = v.kind === "lost" && v.fact === "content" ? "left out" : v.kind;
      groups.set(kind, [...(groups.get(kind) || []), v]);
    }
    return [...groups].map(([kind, list], i) => `${i ? " It" : "the rewrite"} ${describeViolations(kind, list, draft, rewrite, language)}.`).join("");
  }

  function describeWarning(warning) {
    if (warning.kind === "new_commitment") {
      return `The rewrite mentions ${quoted(warning.value)}, which your draft does not promise. Check it before sending.`;
    }
    if (warning.kind === "negation_flip") {
      return `Your draft and the rewrite disagree about ${quoted(warning.value)} (one says no, the other does not). Check it before sending.`;
    }
    return `${warning.detail}. Check it before sending.`;
  }

  function formatMs(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
  }

  function showResult(result) {
    lastResult = result;
    const guard = result.guard || { status: "passed", facts: [], violations: [], warnings: [] };
    const draft = (lastRequest && lastRequest.draft) || "";
    // The stream's preview gives way to the checked rewrite, in a box the agent may edit.
    el.text.classList.remove("preview");
    el.text.textContent = "";
    el.replyText.classList.toggle("fallback", guard.status === "fallback");
    el.replyText.value = result.rewrite;
    el.replyText.rows = Math.min(16, Math.max(4, result.rewrite.split("\n").length + Math.ceil(result.rewrite.length / 70)));
    el.reply.hidden = false;
    showReplyAs(result.format || (lastRequest && lastRequest.format) || "text");

    let summary;
    let status;
    const problems = describeProblems(guard.violations || [], draft, guard.rejected_rewrite || result.rewrite, result.language);
    if (guard.status === "fallback") {
      summary = `You get your draft unchanged, because ${problems || "the rewrite did not keep every fact."}`;
      status = "Your draft is back unchanged: the rewrite did not keep every fact.";
    } else if (guard.status === "repaired") {
      summary = "The first rewrite got a fact wrong; it was corrected on a second try. Every fact of your draft is kept.";
      status = "Done: rewrite corrected and checked.";
    } else if (guard.status === "allowed") {
      summary = `Careful, ${problems || "the rewrite has problems."} Check it before sending.`;
      status = "Done, with problems: check the rewrite before sending.";
    } else {
      summary = "Every fact of your draft is kept.";
      status = "Done: rewrite checked, every fact kept.";
    }
    el.verdictSummary.textContent = summary;
    el.verdictSummary.className = `verdict-summary ${guard.status}`;
    el.status.textContent = `${status} (${formatMs(result.latency_ms)})`;

    const details = [];
    const facts = guard.facts || [];
    if (facts.length && guard.status !== "fallback") { // after a fallback they are simply the draft's
      const list = make("ul", { className: "facts", "aria-label": "Facts kept" });
      for (const fact of facts) {
        list.append(make("li", {}, make("span", { className: "fact-kind", text: factWords(fact.kind, fact.value, draft).replace(/^the /, "") }), " ", make("span", { className: "fact-value", text: fact.value })));
      }
      details.push(make("p", { className: "label", text: "Facts kept:" }), list);
    } else if (guard.status !== "fallback") {
      details.push(make("p", { className: "hint", text: "Your draft has no order numbers, amounts, dates or links to protect." }));
    }
    if (guard.status === "fallback") {
      details.push(make("p", { text: "Try again for a new rewrite, or send your draft as it is." }));
      if (guard.rejected_rewrite) {
        details.push(make("details", { className: "rejected" },
          make("summary", { text: "See the rejected rewrite" }),
          make("p", { text: guard.rejected_rewrite })));
      }
    }
    const warnings = guard.warnings || [];
    if (warnings.length) {
      const list = make("ul", { className: "warnings" });
      for (const warning of warnings) list.append(make("li", { text: describeWarning(warning) }));
      details.push(make("p", { className: "label", text: "Check before sending:" }), list);
    }
    el.verdictDetails.replaceChildren(...details);

    renderDiff(result.diff || []);
    renderMeta(result);
    el.result.hidden = false;
    el.resultActions.hidden = false;
    el.copy.hidden = false;
    el.notUseful.hidden = !(FEEDBACK && result.id);
    revealOutput();
  }

  function renderDiff(ops) {
    const changed = ops.some((op) => op.op !== "equal");
    el.diffLegend.hidden = !changed;
    if (!changed) {
      el.diff.replaceChildren(make("p", { className: "hint", text: "No changes: this is your draft as you wrote it." }));
      return;
    }
    // A changed run is marked without its outer spaces (they stay plain text), and a deletion
    // that ends where the insertion replacing it starts gets a space: "do. used," not "do.used,".
    // Struck through and underlined, and labelled for screen readers, so it reads without colour.
    const out = [];
    let glued = false; // the last run was a marked one with no space after it
    for (const op of ops) {
      if (op.op === "equal") {
        out.push(op.text);
        glued = false;
        continue;
      }
      const [, before, words, after] = /^(\s*)([\s\S]*?)(\s*)$/.exec(op.text);
      if (!words) { // only spaces changed: show the rewrite's
        if (op.op === "insert") out.push(op.text);
        continue;
      }
      const [tag, label] = op.op === "insert" ? ["ins", "added"] : ["del", "removed"];
      if (glued && !before) out.push(" ");
      out.push(before, make(tag, {}, make("span", { className: "sr-only", text: `[${label}: ` }), words,
        make("span", { className: "sr-only", text: "]" })), after);
      glued = !after;
    }
    el.diff.replaceChildren(...out.filter((part) => part !== ""));
  }

  function renderMeta(result) {
    const rows = [["Time", formatMs(result.latency_ms)], ["Model", result.model]];
    if (result.template) rows.push(["Template", `${result.template.name} v${result.template.version}`]);
    if (result.format && result.format !== "text") rows.push(["Format", FORMAT_NAMES[result.format] || result.format]);
    if (result.language) rows.push(["Language", languageName(result.language)]);
    if (result.usage) rows.push(["Tokens", `${result.usage.total_tokens} (${result.usage.prompt_tokens} in, ${result.usage.completion_tokens} out)`]);
    if (result.attempts > 1) rows.push(["Model calls", String(result.attempts)]);
    if (result.fallback_from) rows.push(["Fallback from", result.fallback_from]);
    if (result.pii_masked && Object.keys(result.pii_masked).length) {
      const kinds = Object.entries(result.pii_masked).map(([kind, count]) => `${count} ${kind}`);
      rows.push(["Hidden from the model", kinds.join(", ")]);
    }
    el.meta.replaceChildren(...rows.map(([name, value]) => make("div", {}, make("dt", { text: name }), make("dd", { text: value }))));
  }

  // --- the reply of an HTML draft: rendered, and its source ------------------------------------

  const FORMAT_NAMES = { text: "Text", markdown: "Markdown", html: "HTML" };
  const REPLY_HOW = {
    text: "(edit it here before you copy it)",
    markdown: "(Markdown: edit it here before you copy it)",
    html: "(HTML: edit its source before you copy it)",
  };
  let replyFormat = "text";

  /** The reply box for a rewrite in `format`: for HTML, the tabs Rendered and Source (the box). */
  function showReplyAs(format) {
    replyFormat = FORMATS.includes(format) ? format : "text";
    const html = replyFormat === "html";
    el.replyHow.textContent = REPLY_HOW[replyFormat];
    el.replyText.classList.toggle("code", html);
    el.tabs.hidden = !html;
    if (html) {
      el.replySource.setAttribute("role", "tabpanel");
      el.replySource.setAttribute("aria-labelledby", "tab-source");
      selectView(storageGet(VIEW_STORE) === "source" ? "source" : "rendered");
    } else {
      el.replySource.removeAttribute("role");
      el.replySource.removeAttribute("aria-labelledby");
      el.replySource.hidden = false;
      el.replyRendered.hidden = true;
      el.replyFrame.removeAttribute("srcdoc");
    }
  }

  /** Shows the rendered reply or its source; the rendered one as the box holds it now. */
  function selectView(view, focus = false) {
    const rendered = view !== "source";
    for (const [tab, selected] of [[el.tabRendered, rendered], [el.tabSource, !rendered]]) {
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    el.replySource.hidden = rendered;
    el.replyRendered.hidden = !rendered;
    if (rendered) noteImages(el.replyRenderedHint, renderHtml(el.replyFrame, el.replyText.value));
    if (focus) (rendered ? el.tabRendered : el.tabSource).focus();
  }

  /** Where the focus goes when a rewrite is done: the reply box, or the tab shown instead. */
  function replyFocus() {
    if (!el.replySource.hidden) return el.replyText;
    return el.tabRendered.getAttribute("aria-selected") === "true" ? el.tabRendered : el.tabSource;
  }

  function onTabKey(event) {
    const tabs = [el.tabRendered, el.tabSource];
    const at = tabs.indexOf(event.target);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const tab = tabs[(to + tabs.length) % tabs.length];
    const view = tab === el.tabSource ? "source" : "rendered";
    storageSet(VIEW_STORE, view);
    selectView(view, true);
  }

  // --- copy ---------------------------------------------------------------------------------

  /** Copies `text`; with `html`, that too as text/html, which a rich text editor pastes with its
   * links and emphasis (a plain text field gets `text`). */
  async function copyText(text, html = "") {
    if (navigator.clipboard && window.isSecureContext) {
      if (html && window.ClipboardItem && navigator.clipboard.write) {
        try {
          await navigator.clipboard.write([new window.ClipboardItem({
            "text/plain": new Blob([text], { type: "text/plain" }),
            "text/html": new Blob([html], { type: "text/html" }),
          })]);
          return;
        } catch { /* no rich clipboard here: the text alone */ }
      }
      await navigator.clipboard.writeText(text);
      return;
    }
    // Plain-HTTP intranets have no clipboard API: copy through a selected, off-screen textarea.
    const area = make("textarea", { className: "offscreen", readonly: "" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (!ok) throw new Error("copy refused");
  }

  /** Copies the reply as the agent left it in the box (for HTML, its source, as text and as HTML);
   * with feedback on, then says so to the service: sent as is, or edited (with the text copied). */
  async function copyResult() {
    if (!lastResult) return;
    const result = lastResult;
    const text = el.replyText.value;
    if (!text.trim()) {
      el.status.textContent = "Nothing to copy: the reply box is empty.";
      return;
    }
    try {
      await copyText(text, replyFormat === "html" ? text : "");
    } catch {
      el.status.textContent = `Could not copy automatically: select the text and copy it${touchOnly() ? "" : ` (${IS_MAC ? "⌘" : "Ctrl"}+C)`}.`;
      return;
    }
    el.copy.textContent = "Copied";
    setTimeout(() => { el.copy.textContent = "Copy"; }, 2000);
    const copied = "Copied to the clipboard.";
    if (!FEEDBACK || !result.id) {
      el.status.textContent = copied;
      return;
    }
    const edited = lines(text) !== lines(result.rewrite);
    const note = giveFeedback(result, edited ? { outcome: "edited", sent_text: text } : { outcome: "sent" });
    // One status for both, unless the service is slow to answer: then the copy is said first.
    const quick = await Promise.race([note, new Promise((done) => { setTimeout(done, 800, null); })]);
    if (lastResult !== result) return;
    el.status.textContent = quick ? `${copied} ${quick}` : copied;
    if (!quick) {
      const late = await note;
      if (lastResult === result && el.status.textContent === copied) el.status.textContent = `${copied} ${late}`;
    }
  }

  async function discardResult() {
    const result = lastResult;
    if (!result) return;
    const note = await giveFeedback(result, { outcome: "discarded" });
    if (lastResult === result) el.status.textContent = note;
  }

  // --- feedback (only with the service's feedback store on) ---------------------------------

  const NOTED = { sent: "Noted: sent as is.", edited: "Noted: edited.", discarded: "Noted: not useful." };
  let feedbackQueue = Promise.resolve(); // one call at a time, in the agent's order: the last one wins
  let noted = { id: "", body: "" };      // the last feedback the service took

  /** A textarea gives "\n" for every line break; the rewrite may have had "\r\n". */
  function lines(text) {
    return text.replace(/\r\n?/g, "\n");
  }

  /** Why a feedback call failed, in a few words. */
  function feedbackFailure(err) {
    if (!(err instanceof ApiProblem)) return "the service could not be reached";
    switch (err.status) {
      case 401: return "the API key was not accepted";
      case 403: return "this rewrite was made with another API key";
      case 404: return "the service no longer keeps this rewrite";
      case 409: return "this rewrite is too old";
      case 429: return "too many requests, try again in a moment";
      default: return err.detail ? err.detail.replace(/\.$/, "") : `error ${err.status}`;
    }
  }

  /** Tells the service what the agent did with `result`; resolves to the status note, never
   * rejects (a failed call is only a note). The same answer twice in a row is sent once. */
  function giveFeedback(result, body) {
    const json = JSON.stringify(body);
    const call = feedbackQueue.then(async () => {
      if (noted.id === result.id && noted.body === json) return NOTED[body.outcome];
      try {
        const response = await fetch(`v1/rewrites/${encodeURIComponent(result.id)}/feedback`, {
          method: "POST",
          headers: apiHeaders({ "Content-Type": "application/json", Accept: "application/json, application/problem+json" }),
          body: json,
          cache: "no-store",
        });
        if (!response.ok) throw await problemFrom(response);
        noted = { id: result.id, body: json };
        return NOTED[body.outcome];
      } catch (err) {
        if (noted.id === result.id) noted = { id: "", body: "" }; // what the service holds is unsure now
        return `Feedback not saved: ${feedbackFailure(err)}.`;
      }
    });
    feedbackQueue = call;
    return call;
  }

  // --- wiring -------------------------------------------------------------------------------

  /** A phone or tablet without a mouse or trackpad: most likely no keyboard either. */
  function touchOnly() {
    return window.matchMedia("(pointer: coarse)").matches && !window.matchMedia("(any-pointer: fine)").matches;
  }

  function describeShortcut() {
    const none = touchOnly();
    el.shortcut.hidden = none;
    if (none) el.rewrite.removeAttribute("aria-describedby"); // a hidden hint is still read out
    else el.rewrite.setAttribute("aria-describedby", "shortcut");
    if (IS_MAC) el.shortcut.replaceChildren(make("kbd", { text: "⌘" }), "+", make("kbd", { text: "Enter" }), " from any field");
  }

  function init() {
    el.key.value = storageGet(KEY_STORE);
    describeKey();
    describeShortcut();
    for (const area of [el.draft, el.customer]) {
      showCount(area);
      area.addEventListener("input", () => { showCount(area); clearFieldError(area); });
    }

    const format = storageGet(FORMAT_STORE);
    for (const radio of el.formats) {
      if (FORMATS.includes(format)) radio.checked = radio.value === format;
      radio.addEventListener("change", () => {
        storageSet(FORMAT_STORE, selectedFormat() === "text" ? "" : selectedFormat());
        previewDraft(true);
      });
    }
    el.draft.addEventListener("input", () => previewDraft());
    previewDraft(true);
    for (const tab of [el.tabRendered, el.tabSource]) {
      tab.addEventListener("click", () => {
        const view = tab === el.tabSource ? "source" : "rendered";
        storageSet(VIEW_STORE, view);
        selectView(view);
      });
      tab.addEventListener("keydown", onTabKey);
    }

    el.form.addEventListener("submit", (event) => { event.preventDefault(); startRewrite(); });
    document.addEventListener("keydown", (event) => {
      // Not from the reply box: a new rewrite would replace what the agent is editing there.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target !== el.replyText) {
        event.preventDefault();
        startRewrite();
      }
    });
    el.stop.addEventListener("click", () => { if (running) running.abort(); });
    el.again.addEventListener("click", startRewrite); // with the form as it is now (a fixed key, an edited draft)
    el.copy.addEventListener("click", copyResult);
    el.notUseful.addEventListener("click", discardResult);
    el.template.addEventListener("change", () => {
      storageSet(TEMPLATE_STORE, el.template.value);
      clearFieldError(el.template);
      el.version.value = "";
      fillVersions();
    });
    el.version.addEventListener("change", () => { clearFieldError(el.version); describeTemplate(); });
    el.variableFields.addEventListener("input", (event) => clearFieldError(event.target));
    // The key is saved only once the service has accepted it (see noteKey).
    el.key.addEventListener("input", () => clearFieldError(el.key));
    el.key.addEventListener("change", loadTemplates);
    el.forgetKey.addEventListener("click", () => {
      el.key.value = "";
      storageSet(KEY_STORE, "");
      clearFieldError(el.key);
      describeKey();
      el.status.textContent = "The API key was removed from this browser.";
      el.key.focus();
    });
    loadTemplates();
  }

  init();
})();
