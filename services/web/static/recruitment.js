/*
 * recruitment.js - the recruitment and workforce panel's chart kinds
 * (eqm.js draws them): adverse (the adverse impact ratio by stage with its
 * 95% interval and the four-fifths line), representation (the group's
 * share of headcount by role at each date against its population share),
 * leavers (leaver rate by group against the reference group's, and the
 * leavers' mean length of service), notstated (the share not stated in
 * applications and headcount by characteristic).
 */
(function () {
  'use strict';
  var c = eqm.colours, num = eqm.num;
  var palette = [c.blue, c.amber, c.green, c.grey, '#7b3294', '#008080'];

  function pct(v) { return v === null || v === undefined ? null : 100 * v; }

  /* The ratio per stage as bars, its interval as floating bars, and 0.8. */
  function adverse(canvas, d) {
    var rows = d.rows, labels = rows.map(function (r) { return r.stage; });
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: labels, datasets: [
        { label: 'adverse impact ratio, ' + d.group + ' to ' +
            (rows.length && rows[0].comparison_group ? rows[0].comparison_group : 'comparison'),
          backgroundColor: c.blue, grouped: false, order: 2,
          data: rows.map(function (r) { return num(r.ratio); }) },
        /* Not grouped: the interval is drawn over its stage's bar, not beside it. */
        { label: '95% interval', backgroundColor: 'rgba(255, 255, 255, 0.55)', borderColor: c.red,
          borderWidth: 1.5, barPercentage: 0.25, grouped: false, order: 1,
          data: rows.map(function (r) {
            return r.ci_low === null || r.ci_high === null ? null : [r.ci_low, r.ci_high];
          }) },
        { type: 'line', label: 'four-fifths (' + d.four_fifths + ')', borderColor: c.red,
          borderDash: [6, 4], pointRadius: 0, fill: false, order: 0,
          data: rows.map(function () { return d.four_fifths; }) }
      ] },
      options: { scales: {
        y: { beginAtZero: true, title: { display: true, text: 'pass rate ratio' } } } }
    });
  }

  /* Share of headcount by role at each date (snapshots, then now), and the population share. */
  function representation(canvas, d) {
    var dates = [], roles = [];
    d.rows.forEach(function (r) {
      if (dates.indexOf(r.date) < 0) dates.push(r.date);
      if (roles.indexOf(r.role) < 0) roles.push(r.role);
    });
    dates.sort();
    var sets = roles.map(function (role, i) {
      return { label: role + ' (% of stated headcount)', borderColor: palette[i % palette.length],
               backgroundColor: palette[i % palette.length], spanGaps: true,
               data: dates.map(function (date) {
                 var r = d.rows.filter(function (x) { return x.role === role && x.date === date; });
                 return r.length ? pct(r[r.length - 1].share) : null;
               }) };
    });
    if (d.population_share !== null)
      sets.push({ label: 'population share (Census 2021)', borderColor: c.red, borderDash: [6, 4],
                  pointRadius: 0, data: dates.map(function () { return pct(d.population_share); }) });
    return new Chart(canvas, {
      type: 'line', data: { labels: dates, datasets: sets },
      options: { scales: { y: { beginAtZero: true,
        title: { display: true, text: '% ' + d.group } } } }
    });
  }

  /* Leaver rate by group, the reference group's rate, the leavers' service. */
  function leavers(canvas, d) {
    var rows = d.rows, labels = rows.map(function (r) { return r.group; });
    var ref = rows.length ? rows[0].reference_leaver_rate : null;
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: labels, datasets: [
        { label: 'leaver rate (%)', yAxisID: 'rate', backgroundColor: c.blue,
          data: rows.map(function (r) { return pct(r.leaver_rate); }) },
        { type: 'line', label: 'reference group\'s leaver rate (%)', yAxisID: 'rate',
          borderColor: c.red, borderDash: [6, 4], pointRadius: 0,
          data: rows.map(function () { return pct(ref); }) },
        { label: 'mean length of service of leavers (years)', yAxisID: 'years',
          backgroundColor: c.grey, data: rows.map(function (r) { return num(r.mean_service_years); }) }
      ] },
      options: { scales: {
        rate: { position: 'left', beginAtZero: true, title: { display: true, text: '% leaving' } },
        years: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
                 title: { display: true, text: 'years of service' } } } }
    });
  }

  /* The share not stated by characteristic: applications and headcount. */
  function notstated(canvas, d) {
    var dims = [];
    d.rows.forEach(function (r) { if (dims.indexOf(r.dimension) < 0) dims.push(r.dimension); });
    function series(records, label, colour) {
      return { label: label, backgroundColor: colour, data: dims.map(function (dim) {
        var r = d.rows.filter(function (x) { return x.records === records && x.dimension === dim; });
        return r.length ? pct(r[0].not_stated_share) : null;
      }) };
    }
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: dims, datasets: [series('applications', 'applications (% not stated)', c.blue),
                                        series('headcount', 'headcount (% not stated)', c.grey)] },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: '% not stated' } } } }
    });
  }

  eqm.kinds.adverse = adverse;
  eqm.kinds.representation = representation;
  eqm.kinds.leavers = leavers;
  eqm.kinds.notstated = notstated;
})();
