/*
 * stop-search.js - the stop and search panel's own chart kind (eqm.js
 * draws it, and the trend and quality kinds every panel shares): funnel
 * (areas against their searches, with the 95% and 99.8% limits around the
 * force).
 */
(function () {
  'use strict';
  var c = eqm.colours, num = eqm.num;
  var blue = c.blue, red = c.red, grey = c.grey;

  /* Areas' ratios against their searches, the 95% and 99.8% limits around the force. */
  function funnel(canvas, d) {
    function line(label, key, dash) {
      return { type: 'line', label: label, borderColor: dash ? red : grey, borderDash: dash ? [6, 4] : [],
               pointRadius: 0, borderWidth: 1.5,
               data: d.limits.map(function (l) { return { x: l.events, y: l[key] }; }) };
    }
    var sets = [
      { type: 'scatter', label: 'areas', backgroundColor: blue,
        data: d.rows.filter(function (r) { return r.ratio !== null; })
                    .map(function (r) { return { x: r.events, y: r.ratio, area: r.area }; }) }
    ];
    if (d.limits.length) {
      sets.push(line('95% limits', 'low95', false), line('95% limits (high)', 'high95', false),
                line('99.8% limits', 'low998', true), line('99.8% limits (high)', 'high998', true));
      sets.push({ type: 'line', label: 'force', borderColor: blue, pointRadius: 0, borderWidth: 1,
                  data: d.limits.map(function (l) { return { x: l.events, y: d.force_ratio }; }) });
    }
    return new Chart(canvas, {
      type: 'scatter', data: { datasets: sets },
      options: { scales: { x: { type: 'logarithmic', title: { display: true, text: 'searches (group and White)' } },
                           y: { beginAtZero: true, title: { display: true, text: 'rate ratio' } } },
                 plugins: { legend: { labels: { filter: function (i) { return i.text.indexOf('(high)') < 0; } } },
                            tooltip: { callbacks: { label: function (c) {
                              return (c.raw.area ? c.raw.area + ': ' : '') + c.raw.y.toFixed(2);
                            } } } } }
    });
  }

  eqm.kinds.funnel = funnel;
})();
