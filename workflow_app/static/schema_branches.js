// Branches of a JSON Schema form (forms/schema_html.py): a field that only a branch asks for (a return's reason, an
// extension's days) is shown while a value that chooses its branch is chosen. A hidden field's inputs are disabled,
// so they post nothing; without scripts every field shows, and the server's check says which ones a choice needs.
(function () {
  function valueOf(form, name) {
    var value = "";
    form.querySelectorAll("[name]").forEach(function (element) {
      if (element.name !== name) { return; }
      if (element.type === "radio") {
        if (element.checked) { value = element.value; }
      } else if (element.type === "checkbox") {
        value = element.checked ? "true" : "false";
      } else {
        value = element.value;
      }
    });
    return value;
  }

  function holds(form, condition) {
    var value = valueOf(form, condition.control);
    if (condition.values === null) { return value !== "" && value !== "false"; }
    return condition.values.indexOf(value) !== -1;
  }

  function apply(form) {
    // in document order: a branch inside another is decided after the one around it
    form.querySelectorAll("[data-show-when]").forEach(function (box) {
      var shown = JSON.parse(box.getAttribute("data-show-when")).some(function (c) { return holds(form, c); });
      box.hidden = !shown;
      box.querySelectorAll("input, select, textarea").forEach(function (element) {
        if (!shown && !element.disabled) {
          element.disabled = true;
          element.setAttribute("data-branch-off", "");
        } else if (shown && element.hasAttribute("data-branch-off")) {
          element.disabled = false;
          element.removeAttribute("data-branch-off");
        }
      });
    });
  }

  function formsWithBranches() {
    var forms = [];
    document.querySelectorAll("[data-show-when]").forEach(function (box) {
      var form = box.closest("form");
      if (form && forms.indexOf(form) === -1) { forms.push(form); }
    });
    return forms;
  }

  formsWithBranches().forEach(apply);
  if (window.schemaBranchesListening) { return; }
  window.schemaBranchesListening = true;
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.target.closest && event.target.closest("form");
      if (form && form.querySelector("[data-show-when]")) { apply(form); }
    });
  });
  document.addEventListener("click", function (event) {  // a row just added (schema_rows.js) starts with its branches
    if (!event.target.closest("[data-row-add]")) { return; }
    window.setTimeout(function () { formsWithBranches().forEach(apply); }, 0);
  });
})();
