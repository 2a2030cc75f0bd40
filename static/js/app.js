// Ledgerbridge UI glue: accessible row menus, the form dialog and toasts. Everything
// initialises on htmx:load so rows swapped in later behave like rows from the first render.
(function () {
  "use strict";

  function menuItems(menu) {
    return Array.from(menu.querySelectorAll('[role="menuitem"]'));
  }

  function closeMenu(root, focusButton) {
    const button = root.querySelector(".menu-button");
    const menu = root.querySelector('[role="menu"]');
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (focusButton) button.focus();
  }

  function openMenu(root, focusLast) {
    document.querySelectorAll("[data-menu]").forEach(function (other) {
      if (other !== root) closeMenu(other, false);
    });
    const button = root.querySelector(".menu-button");
    const menu = root.querySelector('[role="menu"]');
    menu.hidden = false;
    placeMenu(button, menu);
    button.setAttribute("aria-expanded", "true");
    const items = menuItems(menu);
    // Disabled items stay focusable by arrow keys so their hint can be read.
    if (items.length) items[focusLast ? items.length - 1 : 0].focus();
  }

  // The menu is placed against the viewport (position: fixed), so a list that scrolls inside its
  // own box cannot clip it: right-aligned under its button, or above it when there is no room.
  // CSSOM writes, not style attributes: the Content-Security-Policy allows these.
  function placeMenu(button, menu) {
    const margin = 8;
    const box = button.getBoundingClientRect();
    menu.style.position = "fixed";
    menu.style.right = "auto";
    menu.style.maxWidth = (window.innerWidth - 2 * margin) + "px";
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    const left = Math.min(Math.max(margin, box.right - width), window.innerWidth - width - margin);
    const below = box.bottom + 4;
    const top = below + height > window.innerHeight - margin ? Math.max(margin, box.top - height - 4) : below;
    menu.style.left = left + "px";
    menu.style.top = top + "px";
  }

  // A scrolled page or list would leave a fixed menu floating away from its row: close it.
  window.addEventListener("scroll", function (event) {
    if (event.target instanceof Element && event.target.closest('[role="menu"]')) return;
    document.querySelectorAll("[data-menu]").forEach(function (root) { closeMenu(root, false); });
  }, true);
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-menu]").forEach(function (root) { closeMenu(root, false); });
  });

  function initMenu(root) {
    if (root.dataset.menuReady) return;
    root.dataset.menuReady = "1";
    const button = root.querySelector(".menu-button");
    const menu = root.querySelector('[role="menu"]');
    button.addEventListener("click", function () {
      if (menu.hidden) openMenu(root, false);
      else closeMenu(root, true);
    });
    button.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        openMenu(root, event.key === "ArrowUp");
      }
    });
    menu.addEventListener("keydown", function (event) {
      const items = menuItems(menu);
      const index = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        closeMenu(root, true);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        items[(index + 1) % items.length].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        items[(index - 1 + items.length) % items.length].focus();
      } else if (event.key === "Home") {
        event.preventDefault();
        items[0].focus();
      } else if (event.key === "End") {
        event.preventDefault();
        items[items.length - 1].focus();
      } else if (event.key === "Tab") {
        closeMenu(root, false);
      }
    });
    menu.addEventListener("click", function (event) {
      const item = event.target.closest('[role="menuitem"]');
      if (item && item.getAttribute("aria-disabled") !== "true") closeMenu(root, false);
    });
  }

  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-menu]").forEach(function (root) {
      if (!root.contains(event.target)) closeMenu(root, false);
    });
  });

  // The row the user just acted on (its id: the row itself is swapped by the answer).
  let actedRowId = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const row = event.detail.elt.closest && event.detail.elt.closest("tr[id]");
    if (row) actedRowId = row.id;
  });

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  // Toasts sit at the bottom, unless there they would cover the row just acted on.
  function keepClearOfRow(box) {
    box.classList.remove("toasts-top");
    const row = actedRowId && document.getElementById(actedRowId);
    if (!row || !box.children.length) return;
    if (overlaps(box.getBoundingClientRect(), row.getBoundingClientRect())) {
      box.classList.add("toasts-top");
    }
  }

  function showToast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = message;
    box.appendChild(toast);
    // After htmx settles the swapped row in its place.
    setTimeout(function () { keepClearOfRow(box); }, 40);
    keepClearOfRow(box);
    setTimeout(function () { toast.remove(); }, level === "error" ? 8000 : 4000);
  }

  // The top bar's Menu button on narrow screens.
  document.addEventListener("click", function (event) {
    const toggle = event.target.closest(".nav-toggle");
    if (!toggle) return;
    const bar = toggle.closest("[data-topbar]");
    const open = !bar.hasAttribute("data-open");
    bar.toggleAttribute("data-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  document.addEventListener("toast", function (event) {
    showToast(event.detail.message, event.detail.level);
  });

  // In the user's language: base.html puts the words on #toasts.
  function failureText(status) {
    const words = document.getElementById("toasts").dataset;
    return status === 0 ? words.noAnswer : words.failed.replace("{status}", status);
  }

  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    // Responses that carry their own toast (HX-Trigger) already told the user what happened.
    if (xhr.getResponseHeader("HX-Trigger")) return;
    showToast(failureText(xhr.status), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast(failureText(0), "error");
  });

  // The dialog opens when a form is swapped into it and closes on the server's "close-dialog" event.
  // afterSettle, not afterSwap: htmx wires up the new content's hx-* attributes while settling
  // (20 ms later), so a dialog shown at afterSwap could be used before its selects work.
  document.addEventListener("htmx:afterSettle", function (event) {
    const modal = document.getElementById("modal");
    if (event.detail.target && event.detail.target.id === "dialog" && modal && !modal.open) {
      modal.showModal();
      const first = modal.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
  });
  document.addEventListener("close-dialog", function () {
    const modal = document.getElementById("modal");
    if (modal && modal.open) modal.close();
  });
  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-close-dialog]")) {
      event.preventDefault();
      document.getElementById("modal").close();
    }
  });

  // "Remove line" in the New invoice form: drop the row, then let the lines' change trigger
  // recompute the total on the server.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-remove-row]");
    if (!button) return;
    const row = button.closest("tr");
    const body = row && row.parentElement;
    if (!body || body.querySelectorAll("tr").length <= 1) return;  // keep at least one line
    row.remove();
    body.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // Record payment: choosing an invoice fills Amount with its open balance (out of band), but an
  // amount typed after that choice wins over the answer if the answer is late.
  let paymentChosenAt = 0;
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#payment-choice")) {
      paymentChosenAt = performance.now();
    }
  }, true);
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#payment-amount-field")) {
      event.target.dataset.typedAt = String(performance.now());
    }
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "payment-amount-field") return;
    const input = target.querySelector("input");
    if (input && Number(input.dataset.typedAt || 0) > paymentChosenAt) {
      event.detail.shouldSwap = false;
    }
  });

  // The list page's status poller (templates/macros/lists.html): one element, #<list>-poller,
  // whose hx-get asks for the watched rows when it receives the "poll" event. The schedule lives
  // here rather than in an hx-trigger filter, which htmx would eval (the CSP forbids it). A job
  // usually ends 150-400 ms after a row action, so the first poll goes 75 ms after it and each
  // wait is 20% longer than the last, up to once a second (11 polls in the first 3 s, then one a
  // second); never while the tab is hidden, a poll is in flight, or no row on the page is watched.
  const FIRST_POLL_MS = 75;
  const POLL_BACKOFF = 1.2;
  const SLOWEST_POLL_MS = 1000;
  let pollDelay = SLOWEST_POLL_MS;
  let pollTimer = null;

  function pollerToFire() {
    const poller = document.querySelector("[data-poller][hx-get]");
    if (!poller || document.visibilityState !== "visible") return null;
    if (!document.querySelector(poller.dataset.poller)) return null;  // nothing pending: idle
    return poller;
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (!pollerToFire()) return;
    pollTimer = setTimeout(function () {
      pollTimer = null;
      const poller = pollerToFire();
      // A poll still in flight reschedules itself when it ends (htmx:afterRequest below).
      if (!poller || poller.classList.contains("htmx-request")) return;
      pollDelay = Math.min(pollDelay * POLL_BACKOFF, SLOWEST_POLL_MS);
      htmx.trigger(poller, "poll");
    }, pollDelay);
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    const elt = event.detail.elt;
    if (elt.matches("[data-poller]")) {
      // 286: nothing the page watched is pending any more (its rows were just swapped in).
      if (event.detail.xhr.status === 286) return;
    } else if (event.detail.requestConfig.verb !== "get") {
      pollDelay = FIRST_POLL_MS;  // a sync, unsync or new row: its badge changes soon
    }
    schedulePoll();
  });
  document.addEventListener("visibilitychange", schedulePoll);
  // A page load, new results or a poller re-armed out of band restart the schedule.
  document.addEventListener("htmx:load", function (event) {
    const elt = event.detail.elt;
    if (elt === document.body || elt.matches("[data-poller]") || elt.querySelector("[data-poller]")) {
      schedulePoll();
    }
  });

  document.addEventListener("htmx:load", function (event) {
    event.detail.elt.querySelectorAll("[data-menu]").forEach(initMenu);
    if (event.detail.elt.matches && event.detail.elt.matches("[data-menu]")) initMenu(event.detail.elt);
  });
})();
