/*
 * eqm.js - draws eqm-web's charts with Chart.js (Debian's libjs-chart.js,
 * /static/chart.min.js). Each <canvas data-chart="KIND" data-json="ID"> is
 * drawn by the function a panel's script registered for KIND
 * (eqm.kinds[KIND] = function (canvas, data) { return new Chart(...); })
 * from the JSON in the element ID: the data the page's tables and the CSV
 * hold. No animation, so a printed page or a PDF holds the finished chart.
 * Once every chart is drawn, window.eqmReady is true (a browser test waits
 * for it) and window.eqmCharts holds each chart by its canvas's id.
 *
 * The kinds of the trend every panel has (services/web/trend.c) are here:
 * trend (the rate ratio by month with its 95% band and the alert
 * threshold) and quality (the share not stated, and the ratio if every
 * not-stated event were the group's).
 */
(function () {
  'use strict';
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  window.eqm = {
    kinds: {},
    colours: { blue: '#1d4f91', band: 'rgba(29, 79, 145, 0.18)', red: '#b3261e', grey: '#6b6b6b',
               amber: '#b26a00', green: '#2e7d32' },
    num: function (v) { return v === null || v === undefined ? null : v; }
  };
  window.eqmCharts = {};

  /* The kinds every panel's trend draws (trend.c's data): trend and quality. */
  (function () {
    var c = window.eqm.colours, num = window.eqm.num;
    var blue = c.blue, band = c.band, red = c.red, grey = c.grey;

    /* A rolling span is drawn only where it is whole (its first months hold
     * fewer months than the span: the table shows them, the chart does not). */
    function whole(d) {
      return d.rows.map(function (r) {
        if (r.months >= d.span) return r;
        return { month: r.month, ratio: null, ci_low: null, ci_high: null,
                 not_stated_share: r.not_stated_share, ratio_if_not_stated_in_group: null };
      });
    }

    /* Rate ratio by month: the interval as a band, the ratio, the threshold. */
    function trend(canvas, d) {
      var rows = whole(d), labels = rows.map(function (r) { return r.month; });
      var sets = [
        { label: '95% interval (low)', data: rows.map(function (r) { return num(r.ci_low); }),
          borderWidth: 0, pointRadius: 0, fill: false },
        { label: '95% interval', data: rows.map(function (r) { return num(r.ci_high); }),
          borderWidth: 0, pointRadius: 0, backgroundColor: band, fill: '-1' },
        { label: 'rate ratio, ' + d.group + ' to White', borderColor: blue,
          backgroundColor: blue, data: rows.map(function (r) { return num(r.ratio); }) }
      ];
      if (d.threshold !== null)
        sets.push({ label: 'alert threshold', borderColor: red, borderDash: [6, 4], pointRadius: 0,
                    data: rows.map(function () { return d.threshold; }) });
      return new Chart(canvas, {
        type: 'line', data: { labels: labels, datasets: sets },
        options: { spanGaps: false, scales: { y: { beginAtZero: true,
          title: { display: true, text: 'times as likely as White people' } } },
          plugins: { legend: { labels: { filter: function (i) { return i.text.indexOf('(low)') < 0; } } } } }
      });
    }

    /* Not stated by month, and the ratio if every not-stated event were the group's. */
    function quality(canvas, d) {
      var rows = whole(d);
      return new Chart(canvas, {
        type: 'line',
        data: { labels: rows.map(function (r) { return r.month; }), datasets: [
          { label: 'share not stated (%)', yAxisID: 'share', borderColor: grey, backgroundColor: grey,
            data: rows.map(function (r) { return r.not_stated_share === null ? null : 100 * r.not_stated_share; }) },
          { label: 'ratio shown', yAxisID: 'ratio', borderColor: blue, backgroundColor: blue,
            data: rows.map(function (r) { return num(r.ratio); }) },
          { label: 'ratio if all not-stated ' + (d.noun || 'events') + ' were the group\'s', yAxisID: 'ratio',
            borderColor: blue, borderDash: [4, 3], backgroundColor: blue,
            data: rows.map(function (r) { return num(r.ratio_if_not_stated_in_group); }) }
        ] },
        options: { scales: {
          share: { position: 'left', beginAtZero: true, title: { display: true, text: '% not stated' } },
          ratio: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
                   title: { display: true, text: 'rate ratio' } } } }
      });
    }

    window.eqm.kinds.trend = trend;
    window.eqm.kinds.quality = quality;
  })();

  function drawAll() {
    var canvases = Array.prototype.slice.call(document.querySelectorAll('canvas[data-chart]'));
    canvases.forEach(function (canvas) {
      var kind = window.eqm.kinds[canvas.dataset.chart];
      try {
        if (!kind) throw new Error('no chart kind ' + canvas.dataset.chart);
        var data = JSON.parse(document.getElementById(canvas.dataset.json).textContent);
        window.eqmCharts[canvas.id] = kind(canvas, data);
      } catch (e) {
        console.error('eqm: chart ' + canvas.id + ' could not be drawn: ' + e.message);
      }
    });
    window.eqmReady = true;
  }
  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', drawAll);
  else
    window.addEventListener('load', drawAll);
})();
