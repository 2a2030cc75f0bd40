// Row selection on the synced lists (templates/bulk/_bar.html): the count, the page checkbox,
// "Select all N matching" and the buttons that need a selection. Ticked ids are remembered per
// list, so a row swapped in by the poller keeps its tick. New results (search, filters, pager)
// bring a new bar and start a new selection.
(function () {
  "use strict";

  const picked = {};  // form id -> Set of ticked row ids (strings)

  function boxes(form) {
    return Array.from(document.querySelectorAll('input[type="checkbox"][name="ids"][form="' + form.id + '"]'));
  }

  function refresh(form) {
    const set = picked[form.id] || new Set();
    const all = form.querySelector("[data-select-all-input]");
    const everything = all.value === "1";
    const total = Number(form.dataset.total);
    const onPage = boxes(form);
    const count = everything ? total : set.size;
    // The words come from the template, in the user's language; "{n}" stands for the number.
    const words = form.dataset;
    form.querySelector("[data-selected-count]").textContent =
      everything ? words.allSelected.replace("{n}", words.totalLabel) :
      count ? words.someSelected.replace("{n}", count.toLocaleString(document.documentElement.lang)) : words.noneSelected;
    form.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = count === 0;
    });
    const pageBox = document.querySelector('[data-select-page="' + form.id + '"]');
    const pageFull = onPage.length > 0 && onPage.every(function (box) { return box.checked; });
    if (pageBox) {
      pageBox.checked = everything || pageFull;
      pageBox.indeterminate = !everything && !pageFull && onPage.some(function (box) { return box.checked; });
    }
    form.querySelector("[data-select-all-matching]").hidden = everything || !pageFull || total <= onPage.length;
    form.querySelector("[data-clear-selection]").hidden = !everything && count === 0;
  }

  function init(form) {
    if (form.dataset.bulkReady) return;
    form.dataset.bulkReady = "1";
    picked[form.id] = new Set();
    refresh(form);
  }

  document.addEventListener("change", function (event) {
    const box = event.target;
    if (box.matches('input[type="checkbox"][name="ids"][form]')) {
      const form = document.getElementById(box.getAttribute("form"));
      if (!form || !form.matches("[data-bulk-form]")) return;
      const set = picked[form.id];
      if (box.checked) set.add(box.value); else set.delete(box.value);
      form.querySelector("[data-select-all-input]").value = "0";
      refresh(form);
    } else if (box.matches("[data-select-page]")) {
      const form = document.getElementById(box.dataset.selectPage);
      if (!form) return;
      boxes(form).forEach(function (row) {
        row.checked = box.checked;
        if (box.checked) picked[form.id].add(row.value); else picked[form.id].delete(row.value);
      });
      form.querySelector("[data-select-all-input]").value = "0";
      refresh(form);
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-select-all-matching], [data-clear-selection]");
    if (!button) return;
    const form = button.closest("[data-bulk-form]");
    const selectAll = button.matches("[data-select-all-matching]");
    form.querySelector("[data-select-all-input]").value = selectAll ? "1" : "0";
    if (!selectAll) {
      picked[form.id].clear();
      boxes(form).forEach(function (row) { row.checked = false; });
    }
    refresh(form);
  });

  document.addEventListener("htmx:load", function (event) {
    const elt = event.detail.elt;
    if (!elt.querySelectorAll) return;
    const forms = elt.matches("[data-bulk-form]") ? [elt] : Array.from(elt.querySelectorAll("[data-bulk-form]"));
    forms.forEach(init);
    // A row swapped in by the poller or a row action keeps its tick.
    elt.querySelectorAll('input[type="checkbox"][name="ids"][form]').forEach(function (box) {
      const form = document.getElementById(box.getAttribute("form"));
      if (!form || !picked[form.id]) return;
      const everything = form.querySelector("[data-select-all-input]").value === "1";
      box.checked = everything || picked[form.id].has(box.value);
    });
  });
})();
