// What phones and keyboards need of the pages (app.css does the rest):
// - tables marked .table-stack read as one card per row, each cell labelled with its column's heading, copied here
//   from the table's head so that the templates need not repeat it;
// - a filter bar marked .filters-folded stays folded behind its button (data-unfold="the bar's id") until asked for.
document.querySelectorAll("table.table-stack").forEach(function (table) {
  var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
    return th.textContent.replace(/\s+/g, " ").trim();
  });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    Array.prototype.forEach.call(row.children, function (cell, index) {
      if (headings[index] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", headings[index]); }
    });
  });
});
document.querySelectorAll("[data-unfold]").forEach(function (button) {
  var target = document.getElementById(button.getAttribute("data-unfold"));
  if (!target) { return; }
  button.addEventListener("click", function () {
    var open = target.classList.toggle("show");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
});
// - a box that scrolls (a wide table, a long source) takes the keyboard's focus when nothing inside it can, so that
//   it can be scrolled without a mouse (WCAG 2.1.1; axe-core's scrollable-region-focusable).
document.querySelectorAll(".table-responsive, .agreement-box, pre").forEach(function (box) {
  var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
  if (scrolls && !box.hasAttribute("tabindex") && !box.querySelector("a[href], button, input, select, textarea, [tabindex]")) {
    box.tabIndex = 0;
  }
});
