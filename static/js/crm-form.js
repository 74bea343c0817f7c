/* A CRM web form on a client's site: paste
 *   <script src="https://crm.example/static/js/crm-form.js" data-crm-form="<the form's address>" async></script>
 * where the form should be. The script reads the form's fields from that address, draws them
 * right after the script tag and posts the answers there as JSON, with the UTM tags, the
 * referrer and the landing page. No dependencies; styles are set on the elements, so a site's
 * strict Content-Security-Policy (no inline <style>) does not break it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-crm-form");
  if (!endpoint) return;
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function storage(kind, key, value) {
    try {
      var store = window[kind];
      if (value === undefined) return store.getItem(key);
      store.setItem(key, value);
    } catch (e) { /* storage refused (private mode): carry on without it */ }
    return null;
  }
  if (!storage("sessionStorage", "crm_landing")) storage("sessionStorage", "crm_landing", location.href);
  var landing = storage("sessionStorage", "crm_landing") || location.href;

  function el(tag, attrs, style) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    Object.assign(node.style, style || {});
    return node;
  }
  var INPUT = { display: "block", width: "100%", boxSizing: "border-box", padding: "8px 10px",
    border: "1px solid #ced4da", borderRadius: "6px", font: "inherit", marginTop: "4px" };

  var root = el("form", { "class": "crm-form", novalidate: "" }, { maxWidth: "32rem", font: "inherit" });
  script.parentNode.insertBefore(root, script.nextSibling);
  var submissionId = Math.random().toString(36).slice(2) + Date.now().toString(36);

  function utm() {
    var found = {};
    [landing, location.href].forEach(function (address) {
      try {
        var params = new URL(address).searchParams;
        UTM.forEach(function (tag) { if (params.get(tag)) found[tag] = params.get(tag); });
      } catch (e) { /* not a URL: no tags from it */ }
    });
    return found;
  }

  function draw(schema) {
    var errors = {};
    schema.fields.forEach(function (f) {
      var box = el("div", { "class": "crm-field" }, { marginBottom: "12px" });
      var id = "crm-" + f.key + "-" + submissionId;
      var input;
      if (f.type === "checkbox") {
        var label = el("label", {}, { display: "block" });
        input = el("input", { type: "checkbox", name: f.key, id: id });
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + f.label));
        box.appendChild(label);
      } else {
        var caption = el("label", { "for": id }, { display: "block", fontWeight: "600" });
        caption.textContent = f.label + (f.required ? " *" : "");
        box.appendChild(caption);
        if (f.type === "textarea") {
          input = el("textarea", { name: f.key, id: id, rows: "4" }, INPUT);
        } else if (f.type === "select") {
          input = el("select", { name: f.key, id: id }, INPUT);
          input.appendChild(el("option", { value: "" }));
          (f.options || []).forEach(function (o) {
            var option = el("option", { value: o });
            option.textContent = o;
            input.appendChild(option);
          });
        } else {
          var type = f.type === "email" ? "email" : f.type === "phone" ? "tel" : "text";
          input = el("input", { name: f.key, id: id, type: type }, INPUT);
        }
        box.appendChild(input);
      }
      if (f.required) input.setAttribute("aria-required", "true");
      var error = el("div", { "class": "crm-error", role: "alert" }, { color: "#c92a2a", fontSize: "0.9em" });
      box.appendChild(error);
      errors[f.key] = error;
      root.appendChild(box);
    });
    // People never see this field; bots fill it in, and their answers are thrown away.
    var trap = el("input", { name: schema.honeypot, tabindex: "-1", autocomplete: "off", "aria-hidden": "true" },
      { position: "absolute", left: "-10000px", width: "1px", height: "1px", opacity: "0" });
    root.appendChild(trap);
    var general = el("div", { "class": "crm-error", role: "alert" }, { color: "#c92a2a", marginBottom: "8px" });
    root.appendChild(general);
    var button = el("button", { type: "submit" }, { background: "#4c6ef5", color: "#fff", border: "0",
      borderRadius: "6px", padding: "10px 18px", font: "inherit", cursor: "pointer" });
    button.textContent = schema.submit;
    root.appendChild(button);

    root.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { submission_id: submissionId, referrer: document.referrer, landing_page: landing,
        page: location.href, visitor: storage("localStorage", "crm_visitor") || "" };
      body[schema.honeypot] = trap.value;
      schema.fields.forEach(function (f) {
        var input = root.elements[f.key];
        body[f.key] = f.type === "checkbox" ? input.checked : input.value;
        errors[f.key].textContent = "";
      });
      Object.assign(body, utm());
      general.textContent = "";
      button.disabled = true;
      fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (response) { return response.json().then(function (data) { return [response.status, data]; }); })
        .then(function (result) {
          var status = result[0], data = result[1];
          button.disabled = false;
          if (status < 300) {
            if (data.visitor) storage("localStorage", "crm_visitor", data.visitor);
            var thanks = el("p", { "class": "crm-thanks", role: "status" }, { background: "#ebfbee", padding: "12px 16px", borderRadius: "6px" });
            thanks.textContent = data.message;
            root.replaceWith(thanks);
            return;
          }
          Object.keys(data.errors || {}).forEach(function (key) {
            if (errors[key]) errors[key].textContent = data.errors[key].join(" ");
          });
          general.textContent = data.error || "";
        })
        .catch(function () { button.disabled = false; general.textContent = "⚠"; });
    });
  }

  fetch(endpoint).then(function (r) { return r.ok ? r.json() : null; }).then(function (schema) {
    if (schema) draw(schema);
  });
})();
