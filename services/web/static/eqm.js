/*
 * eqm.js - draws eqm-web's charts with Chart.js (Debian's libjs-chart.js,
 * /static/chart.min.js). Each <canvas data-chart="KIND" data-json="ID"> is
 * drawn by the function a panel's script registered for KIND
 * (eqm.kinds[KIND] = function (canvas, data) { return new Chart(...); })
 * from the JSON in the element ID: the data the page's tables and the CSV
 * hold. No animation, so a printed page or a PDF holds the finished chart.
 * Once every chart is drawn, window.eqmReady is true (a browser test waits
 * for it) and window.eqmCharts holds each chart by its canvas's id.
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
