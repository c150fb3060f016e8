// Building the page: elements from data, never from HTML strings, so no
// server text is ever parsed as markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// A <dl> of [term, description] pairs, skipping empty descriptions.
export function facts(pairs, cls = "facts") {
  return h("dl", { class: cls }, pairs.filter(([, d]) => d !== null && d !== undefined && d !== "")
    .map(([dt, dd]) => h("div", {}, h("dt", {}, dt), h("dd", {}, dd))));
}

export function table(caption, heads, rows, cls = "") {
  return h("table", { class: cls },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h(i === 0 ? "th" : "td", i === 0 ? { scope: "row", "data-label": heads[i] } : { "data-label": heads[i] }, c))))));
}

export function section(id, title, ...children) {
  return h("section", { id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...children);
}
