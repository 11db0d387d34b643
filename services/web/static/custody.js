/*
 * custody.js - the use of force and custody panel's own chart kinds
 * (eqm.js draws them, and the trend and quality kinds every panel
 * shares): forest (a ratio to White people per row, the point the ratio
 * and a horizontal bar its 95% interval, on a log axis with a line at 1;
 * rows too few to compare, or with no interval, are not drawn: the table
 * says why) and shares (each group's share of disposals out of court).
 */
(function () {
  'use strict';
  var c = eqm.colours, blue = c.blue, band = c.band, red = c.red, grey = c.grey;

  /* The dashed line at a ratio of 1 (as likely as White people). */
  var atOne = {
    id: 'eqmAtOne',
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x.getPixelForValue(1), a = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = red;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, a.top);
      ctx.lineTo(x, a.bottom);
      ctx.stroke();
      ctx.restore();
    }
  };

  /* Rows with a ratio and an interval, labelled by d.label_column. */
  function forest(canvas, d) {
    var rows = d.rows.filter(function (r) {
      return !r.too_few && r.ratio > 0 && r.ci_low > 0 && r.ci_high !== null;
    });
    var key = d.label_column, lo = 1, hi = 1;
    rows.forEach(function (r) { lo = Math.min(lo, r.ci_low); hi = Math.max(hi, r.ci_high); });
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: rows.map(function (r) { return r[key]; }),
        datasets: [
          { label: '95% interval', data: rows.map(function (r) { return [r.ci_low, r.ci_high]; }),
            backgroundColor: band, borderColor: blue, borderWidth: 1, borderSkipped: false,
            barPercentage: 0.35 },
          { type: 'line', label: 'ratio to White people', showLine: false, pointRadius: 5,
            pointStyle: 'rectRot', borderColor: blue, backgroundColor: blue,
            data: rows.map(function (r) { return r.ratio; }) }
        ]
      },
      options: {
        indexAxis: 'y',
        scales: {
          x: { type: 'logarithmic', min: lo / 1.25, max: hi * 1.25,
               title: { display: true, text: 'rate ratio to White people (log scale; 1 = as likely)' } },
          y: { grid: { display: false } }
        },
        plugins: { tooltip: { callbacks: { label: function (t) {
          var r = rows[t.dataIndex];
          return r[key] + ': ' + r.ratio.toFixed(2) + ' (' + r.ci_low.toFixed(2) + ' to ' +
                 r.ci_high.toFixed(2) + ')';
        } } } }
      },
      plugins: [atOne]
    });
  }

  /* Each group's share of disposals out of court (%); White in grey, the reference. */
  function shares(canvas, d) {
    var rows = d.rows.filter(function (r) { return r.share !== null; });
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: rows.map(function (r) { return r.group; }),
        datasets: [
          { label: 'share of disposals out of court (%)',
            backgroundColor: rows.map(function (r) { return r.code === 'white' ? grey : blue; }),
            data: rows.map(function (r) { return 100 * r.share; }) }
        ]
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: '% out of court' } } },
                 plugins: { legend: { display: false } } }
    });
  }

  eqm.kinds.forest = forest;
  eqm.kinds.shares = shares;
})();
