// Rows of a JSON Schema form's arrays (forms/schema_html.py): add and remove rows, number them, and keep one of
// the blank rows offered for pages without scripts. A new row is a copy of the array's <template>, renamed from
// "__row__" to the array's next unused number; read_formdata reads rows in number order, gaps allowed.
(function () {
  var PLACEHOLDER = "__row__";
  var RENAMED = ["name", "id", "for", "aria-describedby", "data-name", "data-show-when"];

  function own(box, selector) { return box.querySelector(":scope > " + selector); }
  function rowsOf(box) { return Array.prototype.slice.call(own(box, "[data-row-list]").children); }
  function least(box) { return Math.max(1, parseInt(box.dataset.min || "0", 10)); }
  function most(box) { return box.dataset.max ? parseInt(box.dataset.max, 10) : Infinity; }

  function rename(root, from, to) {
    root.querySelectorAll("*").forEach(function (element) {
      RENAMED.forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (value !== null && value.indexOf(from) !== -1) { element.setAttribute(attribute, value.split(from).join(to)); }
      });
      if (element.tagName === "TEMPLATE") { rename(element.content, from, to); }
    });
  }

  function refresh(box) {
    var rows = rowsOf(box);
    rows.forEach(function (row, index) {
      var label = box.dataset.rowText.replace("{n}", String(index + 1));
      row.querySelectorAll("[data-row-label]").forEach(function (element) {
        if (element.closest("[data-row]") !== row) { return; }  // a row of an array inside this row
        element.textContent = element.closest("button") ? " " + label : label;
      });
      var number = row.querySelector("[data-row-number]");
      if (number && number.closest("[data-row]") === row) { number.textContent = String(index + 1); }
      var remove = row.querySelector("[data-row-remove]");
      if (remove && remove.closest("[data-row]") === row) {
        remove.hidden = false;
        remove.disabled = rows.length <= least(box);
      }
    });
    var add = own(box, "[data-row-add]");
    if (add) {
      add.hidden = false;
      add.disabled = rows.length >= most(box);
    }
  }

  function start(box) {
    box.dataset.started = "";
    var spares = rowsOf(box).filter(function (row) { return row.hasAttribute("data-spare"); });
    while (spares.length && rowsOf(box).length > least(box)) { spares.pop().remove(); }
    refresh(box);
  }

  function add(box) {
    var index = parseInt(box.dataset.nextIndex, 10);
    box.dataset.nextIndex = String(index + 1);
    var copy = own(box, "template[data-row-template]").content.cloneNode(true);
    rename(copy, box.dataset.name + "." + PLACEHOLDER, box.dataset.name + "." + index);
    var row = copy.firstElementChild;
    own(box, "[data-row-list]").appendChild(copy);
    row.querySelectorAll("[data-rows]").forEach(start);
    refresh(box);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }

  function remove(row) {
    var box = row.closest("[data-rows]");
    row.remove();
    refresh(box);
    var next = own(box, "[data-row-add]");
    if (next) { next.focus(); }
  }

  // each form on a page includes this script: start the arrays not started yet, listen once
  document.querySelectorAll("[data-rows]:not([data-started])").forEach(start);
  if (window.schemaRowsListening) { return; }
  window.schemaRowsListening = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-row-add], [data-row-remove]");
    if (!button || button.disabled) { return; }
    if (button.hasAttribute("data-row-add")) { add(button.closest("[data-rows]")); }
    else { remove(button.closest("[data-row]")); }
  });
})();
