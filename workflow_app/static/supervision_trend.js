// The supervision dashboard's trend chart: the data is in the page (#trend-data); the table below it says the same.
(function () {
  var holder = document.getElementById("trend-data");
  var canvas = document.getElementById("trend-chart");
  if (!holder || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(holder.textContent);
  function percent(values) { return values.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; }); }
  new Chart(canvas, {
    data: {
      labels: data.months,
      datasets: [
        {type: "line", label: data.labels.sign_for, data: percent(data.sign_for), yAxisID: "rate", borderColor: "#0d6efd", spanGaps: true},
        {type: "line", label: data.labels.completion, data: percent(data.completion), yAxisID: "rate", borderColor: "#198754", spanGaps: true},
        {type: "bar", label: data.labels.notices, data: data.notices, yAxisID: "count", backgroundColor: "rgba(220,53,69,0.35)"}
      ]
    },
    options: {
      animation: false,
      scales: {
        rate: {type: "linear", position: "left", min: 0, max: 100, ticks: {callback: function (v) { return v + "%"; }}},
        count: {type: "linear", position: "right", beginAtZero: true, grid: {drawOnChartArea: false}, ticks: {precision: 0}}
      }
    }
  });
})();
