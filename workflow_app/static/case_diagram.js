// Draw the case's BPMN diagram with bpmn-js and mark its done, active and overdue steps.
(function () {
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) { return; }
  var viewer = new BpmnJS({ container: box });
  function ids(name) { return (box.dataset[name] || "").split(" ").filter(Boolean); }
  fetch(box.dataset.source, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      [["done", "highlight-completed"], ["active", "highlight-active"], ["overdue", "highlight-overdue"]].forEach(function (pair) {
        ids(pair[0]).forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, pair[1]); } });
      });
      box.dataset.rendered = "true";
    })
    .catch(function (error) {
      box.dataset.rendered = "error";
      box.textContent = String(error);
    });
})();
