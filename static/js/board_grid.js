// A custom dashboard: drag a widget by its handle to move it; the new order is saved at
// once. Loaded by that page only, after SortableJS. No inline JS (the CSP forbids it).
(function () {
  "use strict";

  function save(grid) {
    const body = new URLSearchParams();
    grid.querySelectorAll(":scope > [data-id]").forEach((w) => body.append("widget", w.dataset.id));
    const token = grid.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(grid.dataset.orderUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        grid.dataset.saved = String(Number(grid.dataset.saved || 0) + 1);
        // Charts keep their size when moved between widths: redraw them.
        window.dispatchEvent(new Event("resize"));
      })
      .catch(() => window.location.reload());
  }

  document.addEventListener("DOMContentLoaded", () => {
    const grid = document.querySelector("[data-board-sortable]");
    if (!grid || typeof Sortable === "undefined") return;
    Sortable.create(grid, {
      handle: ".handle", draggable: ".board-widget", animation: 150, ghostClass: "sortable-ghost",
      forceFallback: true, fallbackTolerance: 4, // mouse and touch alike, as on the deals board
      onEnd: (event) => { if (event.oldIndex !== event.newIndex) save(grid); },
    });
  });
})();
