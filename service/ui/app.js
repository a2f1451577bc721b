// The analyst's page: calls this service's /info and /analyze, shows every sentence with its labels,
// a summary chart, evidence on demand, and CSV/JSONL downloads. No library, nothing fetched from elsewhere.
"use strict";

const SERVICE = new URL("..", window.location.href); // the page lives at <service>/ui/
const SVG = "http://www.w3.org/2000/svg";
const TARGET_HISTORY = "stanceframe.targets";
const FIELD_NAMES = { text: "The article", target: "The target", explain: "The evidence option" };

const $ = (id) => document.getElementById(id);
const state = { info: null, request: null, answer: null, evidence: null };

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function headers() {
  const result = { "Content-Type": "application/json" };
  const key = $("key").value.trim();
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

class ServiceError extends Error {}

async function call(route, body) {
  let response;
  try {
    response = await fetch(new URL(route, SERVICE), {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new ServiceError(`Could not reach the service (${error.message}). Is it still running?`);
  }
  const text = await response.text();
  let payload = null;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = null;
  }
  if (!response.ok) throw new ServiceError(describeFailure(response.status, payload, text));
  return payload;
}

function describeFailure(status, payload, text) {
  // Every error from the service is {"error": {"status", "type", "message", "detail"?}}.
  const error = (payload && payload.error) || {};
  if (status === 401 || status === 403) {
    return $("key").value.trim()
      ? "The service did not accept this API key. Check it and try again."
      : "This service needs an API key: enter it in the API key field and try again.";
  }
  if (status === 400 && Array.isArray(error.detail)) {
    return error.detail
      .map((problem) => {
        const field = FIELD_NAMES[(problem.loc || [])[0]] || (problem.loc || []).join(" ");
        return `${field || "The request"}: ${String(problem.msg).replace(/^Value error, /, "")}.`;
      })
      .join(" ");
  }
  if (status === 413) return "The article is too large for this service; split it into parts.";
  if (status === 429 || status === 503) return "The service is busy right now; try again in a moment.";
  const message = error.message || text || "";
  const short = String(message).split("\n")[0].slice(0, 200);
  return `The service could not answer (HTTP ${status})${short ? `: ${short}` : "."}`;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function setStatus(message) {
  $("status").textContent = message;
}

// ---- the served model: default target and limits ----

async function loadInfo() {
  try {
    const response = await fetch(new URL("info", SERVICE), { method: "POST", headers: headers(), body: "{}" });
    if (!response.ok) {
      if (response.status === 401 || response.status === 403) {
        setStatus("Enter the API key to load the model's default target.");
      }
      return;
    }
    state.info = await response.json();
  } catch {
    return;
  }
  const target = $("target");
  if (!target.value) target.value = state.info.default_target;
  $("model").textContent = `Model: ${state.info.model}.`;
  fillTargetChoices();
  setStatus("");
}

function targetHistory() {
  try {
    return JSON.parse(localStorage.getItem(TARGET_HISTORY)) || [];
  } catch {
    return [];
  }
}

function remember(target) {
  const history = [target, ...targetHistory().filter((t) => t !== target)].slice(0, 12);
  localStorage.setItem(TARGET_HISTORY, JSON.stringify(history));
  fillTargetChoices();
}

function fillTargetChoices() {
  const choices = [state.info && state.info.default_target, ...targetHistory()].filter(Boolean);
  $("targets").replaceChildren(...[...new Set(choices)].map((t) => element("option", { value: t })));
}

// ---- input ----

function updateCount() {
  const length = [...$("text").value].length;
  $("count").textContent = `${length.toLocaleString("en")} characters`;
}

function readFile(event) {
  const file = event.target.files[0];
  if (!file) return;
  if (!/\.txt$/i.test(file.name) && file.type !== "text/plain") {
    showError(`"${file.name}" is not a plain-text file: upload a .txt file.`);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    $("text").value = reader.result;
    updateCount();
    showError("");
  };
  reader.onerror = () => showError(`Could not read "${file.name}".`);
  reader.readAsText(file);
}

function checkRequest(text, target) {
  if (!text.trim()) return "Paste an article or upload a .txt file first.";
  const limits = state.info && state.info.limits;
  if (!limits) return "";
  const length = [...text].length;
  if (length > limits.max_document_chars) {
    return (
      `The article has ${length.toLocaleString("en")} characters; this service accepts at most ` +
      `${limits.max_document_chars.toLocaleString("en")}. Split it into parts.`
    );
  }
  if ([...target].length > limits.max_target_chars) {
    return `The target is longer than ${limits.max_target_chars} characters; name it in a short phrase.`;
  }
  return "";
}

async function analyse(event) {
  event.preventDefault();
  const text = $("text").value;
  const target = $("target").value.trim();
  const problem = checkRequest(text, target);
  showError(problem);
  if (problem) return;
  const request = target ? { text, target } : { text };
  const button = $("analyse");
  button.disabled = true;
  setStatus(`Analysing ${[...text].length.toLocaleString("en")} characters…`);
  try {
    const answer = await call("analyze", request);
    Object.assign(state, { request, answer, evidence: null });
    remember(answer.target);
    render();
    const count = answer.sentences.length;
    setStatus(`${count} sentence${count === 1 ? "" : "s"}, stance toward “${answer.target}”.`);
    if ($("evidence").value) await showEvidence();
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    showError(error.message);
    setStatus("");
  } finally {
    button.disabled = false;
  }
}

// ---- evidence on demand ----

async function showEvidence() {
  if (!state.answer) return;
  if ($("evidence").value && !state.evidence) {
    setStatus("Finding the evidence (one pass of the model per word)…");
    try {
      const answer = await call("analyze", { ...state.request, explain: true });
      state.evidence = new Map(answer.sentences.map((s) => [`${s.start}:${s.end}`, s.evidence]));
      setStatus("Evidence: the words whose deletion lowers the label's probability most (darker: more).");
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      showError(error.message);
      setStatus("");
      return;
    }
  }
  renderSentences();
}

function evidenceFor(sentence, label) {
  const found = state.evidence && state.evidence.get(`${sentence.start}:${sentence.end}`);
  if (!found || !label) return [];
  return (label === "stance" ? found.stance : found.frames[label]) || [];
}

// ---- rendering ----

function render() {
  const { answer } = state;
  $("results").hidden = false;
  const labels = state.info ? state.info.frame_labels : Object.keys(answer.summary.frame_counts);
  const select = $("evidence");
  const chosen = select.value;
  select.replaceChildren(
    element("option", { value: "" }, "nothing"),
    element("option", { value: "stance" }, "stance"),
    ...labels.map((frame) => element("option", { value: frame }, `frame: ${frame}`)),
  );
  select.value = chosen;
  renderCharts(answer.summary);
  renderSentences();
}

function renderSentences() {
  const { answer } = state;
  const characters = [...state.request.text];
  const label = $("evidence").value;
  const items = answer.sentences.map((sentence, index) => {
    const previousEnd = index ? answer.sentences[index - 1].end : 0;
    const gap = characters.slice(previousEnd, sentence.start).join("");
    const item = element("li", {
      class: `sentence stance-${sentence.stance}${index && /\n\s*\n/.test(gap) ? " paragraph" : ""}`,
      "data-id": sentence.id,
      "data-stance": sentence.stance,
      "data-frames": sentence.frames.join(" "),
    });
    const badges = element("div", { class: "badges" });
    badges.append(badge("stance", sentence.stance, sentence.stance_scores[sentence.stance]));
    for (const frame of sentence.frames) badges.append(badge("frame", frame, sentence.frame_scores[frame]));
    item.append(badges, element("p", { class: "text" }, ...highlighted(sentence.text, evidenceFor(sentence, label))));
    return item;
  });
  $("sentences").replaceChildren(...items);
}

function badge(kind, label, score) {
  const button = element(
    "button",
    { type: "button", class: `badge ${kind} ${kind}-${label}`, title: `${label}: probability ${score.toFixed(2)}` },
    label,
  );
  button.addEventListener("click", () => {
    $("evidence").value = kind === "stance" ? "stance" : label;
    showEvidence();
  });
  return button;
}

function highlighted(text, spans) {
  // Offsets count Unicode code points (as Python does), so slice the text as an array of code points.
  const characters = [...text];
  const strongest = Math.max(...spans.map((s) => s.weight), 0);
  const parts = [];
  let cursor = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    parts.push(characters.slice(cursor, span.start).join(""));
    const mark = element(
      "mark",
      { title: `weight ${span.weight.toFixed(3)}: probability drop when deleted` },
      characters.slice(span.start, span.end).join(""),
    );
    mark.style.setProperty("--strength", (0.35 + (0.65 * span.weight) / strongest).toFixed(2));
    parts.push(mark);
    cursor = span.end;
  }
  parts.push(characters.slice(cursor).join(""));
  return parts;
}

function renderCharts(summary) {
  const total = summary.sentences;
  const percent = (share) => `${Math.round(share * 100)}%`;
  $("stance-chart").replaceChildren(
    barChart(
      Object.entries(summary.stance_counts).map(([label, count]) => ({
        label,
        value: total ? count / total : 0,
        text: `${count} (${percent(total ? count / total : 0)})`,
        kind: "stance",
        data: { "data-stance": label, "data-count": count },
      })),
    ),
  );
  $("frame-chart").replaceChildren(
    barChart(
      Object.entries(summary.frame_shares).map(([label, share]) => ({
        label,
        value: share,
        text: `${percent(share)} (${summary.frame_counts[label]})`,
        kind: "frame",
        data: { "data-frame": label, "data-count": summary.frame_counts[label], "data-share": share },
      })),
    ),
  );
}

function barChart(bars) {
  const rowHeight = 26;
  const width = 360;
  const labelWidth = 100;
  const valueWidth = 70;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${bars.length * rowHeight}`);
  svg.setAttribute("role", "img");
  bars.forEach((bar, index) => {
    const y = index * rowHeight;
    const group = svgNode("g", { class: `bar ${bar.kind}-${bar.label}`, ...bar.data });
    const title = svgNode("title", {});
    title.textContent = `${bar.label}: ${bar.text}`;
    const label = svgNode("text", { x: 0, y: y + 17, class: "bar-label" });
    label.textContent = bar.label;
    const barWidth = width - labelWidth - valueWidth;
    const track = svgNode("rect", { x: labelWidth, y: y + 5, width: barWidth, height: 16, class: "track" });
    const fill = svgNode("rect", {
      x: labelWidth,
      y: y + 5,
      width: Math.max(bar.value * barWidth, 0),
      height: 16,
      class: "fill",
    });
    const value = svgNode("text", { x: width - valueWidth + 6, y: y + 17, class: "bar-value" });
    value.textContent = bar.text;
    group.append(title, label, track, fill, value);
    svg.append(group);
  });
  return svg;
}

function svgNode(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// ---- downloads ----

function rows() {
  return state.answer.sentences.map((sentence) => {
    const evidence = state.evidence && state.evidence.get(`${sentence.start}:${sentence.end}`);
    return evidence ? { ...sentence, evidence } : sentence;
  });
}

function csvCell(value) {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function toCsv() {
  const { stance_counts: stances, frame_counts: frames } = state.answer.summary;
  const stanceLabels = Object.keys(stances);
  const frameLabels = Object.keys(frames);
  const words = (spans) => (spans || []).map((s) => `${s.text} (${s.weight.toFixed(3)})`).join("; ");
  const header = ["id", "start", "end", "text", "target", "stance", ...stanceLabels.map((l) => `score_${l}`)];
  header.push("frames", ...frameLabels.map((l) => `score_${l}`));
  if (state.evidence) header.push("evidence_stance", ...frameLabels.map((l) => `evidence_${l}`));
  const lines = rows().map((s) => {
    const cells = [s.id, s.start, s.end, s.text, s.target, s.stance, ...stanceLabels.map((l) => s.stance_scores[l])];
    cells.push(s.frames.join(";"), ...frameLabels.map((l) => s.frame_scores[l]));
    if (state.evidence) cells.push(words(s.evidence.stance), ...frameLabels.map((l) => words(s.evidence.frames[l])));
    return cells.map(csvCell).join(",");
  });
  return [header.join(","), ...lines].join("\r\n") + "\r\n";
}

function download(name, type, content) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = element("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- wiring ----

$("request").addEventListener("submit", analyse);
$("text").addEventListener("input", updateCount);
$("file").addEventListener("change", readFile);
$("key").addEventListener("change", () => state.info || loadInfo());
$("evidence").addEventListener("change", showEvidence);
$("csv").addEventListener("click", () => download("stanceframe.csv", "text/csv", toCsv()));
$("jsonl").addEventListener("click", () =>
  download("stanceframe.jsonl", "application/x-ndjson", rows().map((r) => JSON.stringify(r)).join("\n") + "\n"),
);
updateCount();
loadInfo();
