/* The CRM's chat bubble and visit tracker on a client's site: paste
 *   <script src="https://crm.example/static/js/crm-chat.js" data-crm-chat="<the chat's address>" async></script>
 * on every page (add data-chat="off" to track visits without the chat). On each page it says
 * hello with the visitor's signed token (kept in localStorage; a new one is issued when there
 * is none), the page's address and title; a visit through a tracked link (?crm_t=...) names
 * the client. The chat polls the visitor's own conversation while it is open. Styles are set
 * on the elements, so a strict Content-Security-Policy on the site does not break it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var hello = script && script.getAttribute("data-crm-chat");
  if (!hello) return;
  var chatOn = script.getAttribute("data-chat") !== "off";
  var messagesUrl = hello.replace(/\/?$/, "/") + "messages/";
  var POLL_MS = 3000;

  function storage(kind, key, value) {
    try {
      var store = window[kind];
      if (value === undefined) return store.getItem(key);
      store.setItem(key, value);
    } catch (e) { /* storage refused: this page only */ }
    return null;
  }
  if (!storage("sessionStorage", "crm_landing")) storage("sessionStorage", "crm_landing", location.href);
  var params = new URL(location.href).searchParams;

  function el(tag, attrs, style, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    Object.assign(node.style, style || {});
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function post(url, body, token) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-CRM-Visitor"] = token;
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { return [r.status, data]; }); });
  }

  var state = { token: null, lastId: 0, timer: null, pending: [] };

  post(hello, {
    visitor: storage("localStorage", "crm_visitor") || "", crm_t: params.get("crm_t") || "",
    url: location.href, title: document.title, referrer: document.referrer
  }).then(function (result) {
    if (result[0] !== 200) return;
    var data = result[1];
    state.token = data.visitor;
    storage("localStorage", "crm_visitor", data.visitor);
    if (chatOn) draw(data);
  });

  // A speech bubble drawn as SVG (no emoji font, no image request, nothing a CSP blocks).
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  function draw(config) {
    var labels = config.labels;
    var bubble = el("button", { type: "button", "aria-label": labels.open, "class": "crm-chat-bubble" }, {
      position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px", borderRadius: "50%",
      border: "0", background: "#4c6ef5", color: "#fff", fontSize: "24px", cursor: "pointer",
      boxShadow: "0 4px 12px rgba(0,0,0,.25)", zIndex: "2147483000", display: "flex",
      alignItems: "center", justifyContent: "center" });
    bubble.appendChild(icon());
    var panel = el("div", { role: "dialog", "aria-label": config.title, "class": "crm-chat-panel" }, {
      position: "fixed", right: "20px", bottom: "88px", width: "320px", maxWidth: "calc(100vw - 40px)",
      height: "420px", maxHeight: "calc(100vh - 120px)", background: "#fff", borderRadius: "12px",
      boxShadow: "0 8px 24px rgba(0,0,0,.2)", display: "none", flexDirection: "column",
      font: "14px/1.4 system-ui, sans-serif", color: "#212529", zIndex: "2147483000", overflow: "hidden" });
    var head = el("div", {}, { background: "#4c6ef5", color: "#fff", padding: "10px 12px", display: "flex",
      justifyContent: "space-between", alignItems: "center" });
    head.appendChild(el("strong", {}, {}, config.title));
    var close = el("button", { type: "button", "aria-label": labels.close }, { background: "none", border: "0",
      color: "#fff", fontSize: "18px", cursor: "pointer" }, "×");
    head.appendChild(close);
    var list = el("ol", { "class": "crm-chat-messages", "aria-live": "polite" }, { listStyle: "none", margin: "0",
      padding: "10px", flex: "1", overflowY: "auto" });
    if (config.greeting) list.appendChild(line("team", config.greeting));
    var form = el("form", {}, { borderTop: "1px solid #e9ecef", padding: "8px", display: "flex",
      flexDirection: "column", gap: "6px" });
    var field = { boxSizing: "border-box", width: "100%", padding: "6px 8px", border: "1px solid #ced4da",
      borderRadius: "6px", font: "inherit" };
    var name = el("input", { name: "name", placeholder: labels.name, "aria-label": labels.name }, field);
    var email = el("input", { name: "email", type: "email", placeholder: labels.email, "aria-label": labels.email }, field);
    var text = el("textarea", { name: "text", rows: "2", placeholder: labels.placeholder, "aria-label": labels.placeholder }, field);
    var error = el("div", { role: "alert" }, { color: "#c92a2a", fontSize: "12px" });
    var send = el("button", { type: "submit" }, { background: "#4c6ef5", color: "#fff", border: "0",
      borderRadius: "6px", padding: "6px 12px", cursor: "pointer", font: "inherit" }, labels.send);
    if (!config.identified) { form.appendChild(name); form.appendChild(email); }
    [text, error, send].forEach(function (n) { form.appendChild(n); });
    [head, list, form].forEach(function (n) { panel.appendChild(n); });
    document.body.appendChild(panel);
    document.body.appendChild(bubble);

    function line(who, body) {
      var mine = who === "visitor";
      var item = el("li", { "class": "crm-chat-" + who }, { margin: "6px 0", display: "flex",
        justifyContent: mine ? "flex-end" : "flex-start" });
      item.appendChild(el("span", {}, { background: mine ? "#dbe4ff" : "#f1f3f5", borderRadius: "10px",
        padding: "6px 10px", maxWidth: "80%", whiteSpace: "pre-wrap", wordBreak: "break-word" }, body));
      return item;
    }
    function poll() {
      fetch(messagesUrl + "?after=" + state.lastId, { headers: { "X-CRM-Visitor": state.token } })
        .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
        .then(function (data) {
          data.messages.forEach(function (m) {
            state.lastId = Math.max(state.lastId, m.id);
            var waiting = m.from === "visitor" && state.pending.filter(function (p) { return p.text === m.text; })[0];
            if (waiting) {
              state.pending.splice(state.pending.indexOf(waiting), 1);
              return;  // already shown when it was sent
            }
            list.appendChild(line(m.from, m.text));
          });
          list.scrollTop = list.scrollHeight;
        });
    }
    function toggle(open) {
      panel.style.display = open ? "flex" : "none";
      clearInterval(state.timer);
      if (open) { poll(); state.timer = setInterval(poll, POLL_MS); text.focus(); }
    }
    bubble.addEventListener("click", function () { toggle(panel.style.display === "none"); });
    close.addEventListener("click", function () { toggle(false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = text.value.trim();
      if (!body) return;
      var id = Math.random().toString(36).slice(2) + Date.now().toString(36);
      error.textContent = "";
      post(messagesUrl, { id: id, text: body, name: name.value, email: email.value, page: location.href }, state.token)
        .then(function (result) {
          if (result[0] >= 300) {
            var data = result[1];
            error.textContent = [data.error].concat(Object.keys(data.errors || {}).map(function (k) {
              return data.errors[k].join(" ");
            })).filter(Boolean).join(" ");
            return;
          }
          state.pending.push({ id: id, text: body });
          list.appendChild(line("visitor", body));
          list.scrollTop = list.scrollHeight;
          text.value = "";
        });
    });
  }
})();
