// Small behaviours of the shell. htmx does partial updates; this file stays tiny.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle-nav]");
  if (toggle) {
    document.querySelector(".shell").classList.toggle("nav-open");
    return;
  }
  // Close open dropdowns when clicking elsewhere.
  document.querySelectorAll("details.dropdown[open]").forEach((d) => {
    if (!d.contains(event.target)) d.removeAttribute("open");
  });
  const confirmable = event.target.closest("[data-confirm]");
  if (confirmable && !window.confirm(confirmable.dataset.confirm)) event.preventDefault();
});

// Escape closes the phone menu and any open dropdown.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelector(".shell")?.classList.remove("nav-open");
  document.querySelectorAll("details.dropdown[open]").forEach((d) => d.removeAttribute("open"));
});

// <select data-autosubmit> submits its form when changed (no inline handlers: CSP).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
});

// A phone's tel: link inside a field edited in place calls; it does not open the editor.
document.addEventListener(
  "click",
  (event) => {
    if (event.target.closest('.editable a[href^="tel:"]')) event.stopPropagation();
  },
  true,
);
