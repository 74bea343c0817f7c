// The stage editor (Settings → Funnels): drag a stage by its handle to reorder the funnel.
// Loaded by that page only, after SortableJS. No inline JS anywhere (the CSP forbids it).
(function () {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(list, text) {
    const status = list.closest(".stage-editor")?.querySelector("[data-reorder-status]");
    if (status) status.textContent = text;
  }

  function save(list) {
    const body = new URLSearchParams();
    list.querySelectorAll(":scope > [data-id]").forEach((row) => body.append("stage", row.dataset.id));
    list.classList.add("saving");
    fetch(list.dataset.reorderUrl, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        list.classList.remove("saving");
        say(list, list.dataset.savedText || "Order saved.");
      })
      // Someone else changed the stages meanwhile, or the session ended: show the truth.
      .catch(() => window.location.reload());
  }

  function init(root) {
    if (typeof Sortable === "undefined") return;
    root.querySelectorAll("[data-sortable]").forEach((list) => {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      Sortable.create(list, {
        handle: ".handle",
        draggable: ".stage-row",
        animation: 150,
        ghostClass: "sortable-ghost",
        onEnd: (event) => {
          if (event.oldIndex !== event.newIndex) save(list);
        },
      });
    });
  }

  // SortableJS animates rows through the CSSOM and leaves empty style="" attributes; htmx
  // copies an old element's style attribute onto its replacement when it settles a swap,
  // which the CSP (style-src 'self') reports. Drop them before a swap in the editor.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || !target.closest(".stage-editor, .stage-row")) return;
    [target, ...target.querySelectorAll("[style]")].forEach((el) => el.removeAttribute("style"));
  });

  document.addEventListener("DOMContentLoaded", () => init(document));
  // The list is swapped by htmx after a stage is added or deleted.
  document.addEventListener("htmx:load", (event) => init(event.target));
})();
