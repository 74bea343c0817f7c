// The deals board: drag cards between and within columns (SortableJS), save each drop at
// once, drop on Won or Lost to close a deal. No inline handlers or styles (CSP).
(() => {
  "use strict";

  const board = document.getElementById("board");
  if (!board || !window.Sortable || board.dataset.canEdit !== "1") return;

  const toastBox = document.getElementById("board-toast");
  const lostDialog = document.getElementById("board-lost");
  let justDragged = false;

  function csrfToken() {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (_error) {
      // fall through to the cookie
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function url(template, id) {
    return template.replace("/0/", `/${id}/`);
  }

  function toast(text, kind) {
    if (!toastBox || !text) return;
    const item = document.createElement("div");
    item.className = `board-toast-item ${kind || ""}`;
    item.textContent = text;
    toastBox.appendChild(item);
    setTimeout(() => item.classList.add("gone"), 3200);
    setTimeout(() => item.remove(), 3800);
  }

  async function post(address, data) {
    data.append("filters", board.dataset.filters || "");
    let response;
    try {
      response = await fetch(address, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
    } catch (_error) {
      return { ok: false, error: board.dataset.error };
    }
    let body = {};
    try {
      body = await response.json();
    } catch (_error) {
      body = {};
    }
    if (!response.ok || !body.ok) return { ok: false, error: body.error || board.dataset.error };
    return body;
  }

  function updateColumns(columns) {
    (columns || []).forEach((column) => {
      const head = document.getElementById(`col-${column.stage}-head`);
      if (!head) return;
      head.querySelector("[data-count]").textContent = column.count;
      head.querySelector("[data-total]").textContent = column.total;
    });
  }

  // Put a card back where it was picked up.
  function putBack(event) {
    const from = event.from;
    const cards = from.querySelectorAll(":scope > .board-card");
    const index = event.oldDraggableIndex ?? event.oldIndex;
    const anchor = Array.from(cards).filter((c) => c !== event.item)[index] || null;
    from.insertBefore(event.item, anchor);
  }

  function neighbour(item, direction) {
    let node = direction === "before" ? item.previousElementSibling : item.nextElementSibling;
    while (node && !node.classList.contains("board-card")) {
      node = direction === "before" ? node.previousElementSibling : node.nextElementSibling;
    }
    return node;
  }

  async function moveToStage(event) {
    const item = event.item;
    const data = new FormData();
    data.append("stage", event.to.dataset.stage);
    const before = neighbour(item, "before");
    const after = neighbour(item, "after");
    if (before) data.append("before", before.dataset.id);
    if (after) data.append("after", after.dataset.id);
    item.classList.add("board-saving");
    const result = await post(url(board.dataset.moveUrl, item.dataset.id), data);
    item.classList.remove("board-saving");
    if (!result.ok) {
      putBack(event);
      toast(result.error, "error");
      return;
    }
    updateColumns(result.columns);
    item.classList.add("board-saved");
    setTimeout(() => item.classList.remove("board-saved"), 1200);
  }

  function closeCard(item, result) {
    updateColumns(result.columns);
    item.classList.add("board-closing");
    setTimeout(() => item.remove(), 250);
    toast(result.message, "ok");
  }

  async function markWon(event) {
    const item = event.item;
    const result = await post(url(board.dataset.wonUrl, item.dataset.id), new FormData());
    if (!result.ok) {
      putBack(event);
      toast(result.error, "error");
      return;
    }
    closeCard(item, result);
  }

  // Lost asks why first: a dialog; Cancel (or Escape) puts the card back.
  let pendingLost = null;

  function askWhyLost(event) {
    if (!lostDialog) {
      putBack(event);
      return;
    }
    pendingLost = event;
    const form = lostDialog.querySelector("form");
    form.reset();
    const title = event.item.querySelector(".board-card-title");
    lostDialog.querySelector("[data-lost-title]").textContent = title ? title.textContent : "";
    lostDialog.querySelectorAll(".board-dialog-error").forEach((e) => e.remove());
    lostDialog.showModal();
  }

  if (lostDialog) {
    const form = lostDialog.querySelector("form");
    form.addEventListener("submit", async (submitEvent) => {
      submitEvent.preventDefault();
      if (!pendingLost) return;
      const event = pendingLost;
      const result = await post(url(board.dataset.lostUrl, event.item.dataset.id), new FormData(form));
      if (!result.ok) {
        lostDialog.querySelectorAll(".board-dialog-error").forEach((e) => e.remove());
        const error = document.createElement("p");
        error.className = "board-dialog-error errors";
        error.textContent = result.error;
        form.querySelector("h2").after(error);
        return;
      }
      pendingLost = null;
      lostDialog.close();
      closeCard(event.item, result);
    });
    lostDialog.querySelector("[data-lost-cancel]").addEventListener("click", () => lostDialog.close());
    lostDialog.addEventListener("close", () => {
      if (pendingLost) putBack(pendingLost);
      pendingLost = null;
    });
  }

  const common = {
    group: "deals",
    animation: 150,
    draggable: ".board-card",
    forceFallback: true, // the same mouse and touch behaviour everywhere, links included
    fallbackOnBody: true,
    fallbackTolerance: 4,
    delay: 180,
    delayOnTouchOnly: true,
    scrollSensitivity: 80,
    bubbleScroll: true,
    ghostClass: "board-ghost",
    chosenClass: "board-chosen",
    dragClass: "board-drag",
    fallbackClass: "board-fallback",
  };

  document.querySelectorAll(".board-cards").forEach((list) => {
    window.Sortable.create(list, {
      ...common,
      onStart: () => document.body.classList.add("board-dragging"),
      onEnd: (event) => {
        document.body.classList.remove("board-dragging");
        justDragged = true;
        setTimeout(() => {
          justDragged = false;
        }, 50);
        const target = event.to;
        if (target.dataset.drop === "won") return void markWon(event);
        if (target.dataset.drop === "lost") return void askWhyLost(event);
        if (target === event.from && event.oldIndex === event.newIndex) return;
        moveToStage(event);
      },
    });
  });

  document.querySelectorAll(".board-drop-zone").forEach((zone) => {
    window.Sortable.create(zone, { ...common, sort: false, group: { name: "deals", pull: false, put: true } });
  });

  // A drag that ends over a link is not a click on it.
  board.addEventListener(
    "click",
    (event) => {
      if (justDragged) event.preventDefault();
    },
    true,
  );

  // The quick-add form: after a deal is added, keep the title box ready for the next one.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const id = event.detail.elt && event.detail.elt.id;
    if (!id || !/^col-\d+-quick$/.test(id)) return;
    const box = document.querySelector(`#${id} input[name=title]`);
    if (box) box.focus();
  });
})();
