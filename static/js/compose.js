// The reply boxes of the inbox and the team chat: a canned response picked from the picker
// goes into the text at the cursor, and "@" offers colleagues to mention (the form's
// data-mentions URL answers JSON). Event delegation: the thread is swapped by htmx.
(() => {
  const TOKEN = /(^|[^\w@.])@(\[[^\]\n]{0,60}|[\w.+-]{0,60})$/;

  function insertAt(textarea, start, end, text) {
    textarea.setRangeText(text, start, end, "end");
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", (event) => {
    const canned = event.target.closest("[data-canned-text]");
    if (canned) {
      const form = canned.closest("form");
      const textarea = form && form.querySelector("textarea");
      if (!textarea) return;
      insertAt(textarea, textarea.selectionStart, textarea.selectionEnd, canned.dataset.cannedText);
      canned.closest("details")?.removeAttribute("open");
      return;
    }
    const choice = event.target.closest("[data-mention-insert]");
    if (choice) {
      event.preventDefault();
      pick(choice);
      return;
    }
    if (!event.target.closest(".mention-menu")) closeMenus();
  });

  function closeMenus() {
    document.querySelectorAll(".mention-menu").forEach((menu) => menu.remove());
  }

  function pick(choice) {
    const menu = choice.closest(".mention-menu");
    const textarea = menu.previousElementSibling;
    const start = Number(menu.dataset.start);
    insertAt(textarea, start, textarea.selectionStart, choice.dataset.mentionInsert + " ");
    menu.remove();
  }

  let pending = 0;
  document.addEventListener("input", async (event) => {
    const textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement)) return;
    const form = textarea.closest("form[data-mentions]");
    if (!form) return;
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = TOKEN.exec(before);
    if (!match) {
      closeMenus();
      return;
    }
    const query = match[2].replace(/^\[/, "");
    const start = before.length - match[2].length - 1;
    const ticket = ++pending;
    const url = `${form.dataset.mentions}?q=${encodeURIComponent(query)}`;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok || ticket !== pending) return;
    const { results } = await response.json();
    closeMenus();
    if (!results.length) return;
    const menu = document.createElement("ul");
    menu.className = "mention-menu";
    menu.setAttribute("role", "listbox");
    menu.dataset.start = String(start);
    menu.dataset.testid = "mention-menu";
    for (const row of results) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = row.name;
      button.dataset.testid = "mention-choice";
      if (row.allowed) {
        button.dataset.mentionInsert = row.insert;
      } else {
        button.disabled = true;
        const note = document.createElement("small");
        note.className = "muted";
        note.textContent = ` · ${row.note}`;
        button.append(note);
      }
      item.append(button);
      menu.append(item);
    }
    textarea.after(menu);
  });

  // Enter or Tab picks the first colleague offered; Escape closes the list.
  document.addEventListener("keydown", (event) => {
    const menu = event.target.nextElementSibling;
    if (!menu || !menu.classList.contains("mention-menu")) return;
    if (event.key === "Escape") {
      menu.remove();
    } else if (event.key === "Enter" || event.key === "Tab") {
      const first = menu.querySelector("[data-mention-insert]");
      if (first) {
        event.preventDefault();
        pick(first);
      }
    }
  });
})();
