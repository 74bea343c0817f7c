// The calendar: drag a task to another day to reschedule it (SortableJS, mouse and touch).
// The server keeps the task's time of day; if it refuses, the task goes back where it was.
(() => {
  const root = document.querySelector("[data-calendar][data-draggable]");
  if (!root || typeof Sortable === "undefined") return;

  const csrfToken = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  };

  const putBack = (evt) => {
    const before = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, before);
  };

  const moved = (evt) => {
    if (evt.from === evt.to) return;
    const chip = evt.item;
    const day = evt.to.dataset.day;
    chip.classList.add("saving");
    chip.classList.remove("move-failed");
    fetch(chip.dataset.moveUrl, {
      method: "POST",
      body: new URLSearchParams({ day }),
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        chip.classList.remove("late");
        root.dispatchEvent(new CustomEvent("task-moved", { detail: { id: chip.dataset.task, day } }));
      })
      .catch(() => {
        putBack(evt);
        chip.classList.add("move-failed");
      })
      .finally(() => chip.classList.remove("saving"));
  };

  root.querySelectorAll(".cal-list").forEach((list) => {
    Sortable.create(list, {
      group: "calendar",
      draggable: ".cal-chip",
      animation: 150,
      delay: 200, // on touch screens, a long press starts a drag; a swipe still scrolls
      delayOnTouchOnly: true,
      ghostClass: "cal-ghost",
      chosenClass: "cal-chosen",
      emptyInsertThreshold: 24,
      onEnd: moved,
    });
  });
})();
