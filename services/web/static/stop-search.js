/*
 * stop-search.js - the stop and search panel's own chart kinds (eqm.js
 * draws them, and the trend and quality kinds every panel shares): funnel
 * (areas against their searches, with the 95% and 99.8% limits around the
 * force), powers and outcomes (each group's searches stacked to 100%),
 * children and strip (a share by group with its interval), agreement
 * (each self-defined group's searches stacked by officer-defined group).
 */
(function () {
  'use strict';
  var c = eqm.colours, num = eqm.num;
  var blue = c.blue, band = c.band, red = c.red, grey = c.grey;

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

  /* Shares of each group's searches, stacked to 100%: one dataset a part. */
  function stacked(parts) {
    return function (canvas, d) {
      var rows = d.rows.filter(function (r) { return !r.too_few; });
      var palette = [blue, '#5b8cc9', red, grey];
      return new Chart(canvas, {
        type: 'bar',
        data: { labels: rows.map(function (r) { return r.group; }),
                datasets: parts.map(function (p, i) {
                  return { label: p[1], backgroundColor: palette[i % palette.length],
                           data: rows.map(function (r) { return r[p[0]] === null ? null : 100 * r[p[0]]; }) };
                }) },
        options: { indexAxis: 'y', scales: { x: { stacked: true, max: 100, title: { display: true, text: '% of the group\'s searches' } },
                                            y: { stacked: true } } }
      });
    };
  }

  /* One share by group with its 95% interval as a floating bar behind it. */
  function shareWithInterval(key, label) {
    return function (canvas, d) {
      var rows = d.rows.filter(function (r) { return !r.too_few; });
      return new Chart(canvas, {
        data: { labels: rows.map(function (r) { return r.group; }), datasets: [
          { type: 'bar', label: label + ' (%)', backgroundColor: blue,
            data: rows.map(function (r) { return r[key + '_share'] === null ? null : 100 * r[key + '_share']; }) },
          { type: 'bar', label: '95% interval', backgroundColor: band, grouped: false, barPercentage: 0.3,
            data: rows.map(function (r) {
              return r[key + '_ci_low'] === null ? null : [100 * r[key + '_ci_low'], 100 * r[key + '_ci_high']];
            }) }
        ] },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: '% of the group\'s searches' } } } }
      });
    };
  }

  /* Self-defined against officer-defined ethnicity: a bar per self-defined
   * group (the table's rows but its totals), its searches stacked to 100% by
   * the group the officer recorded, one dataset an officer-defined group (a
   * group with no searches has no bar); the counts in the tooltip. */
  function agreement(canvas, d) {
    var rows = d.rows.filter(function (r) { return r.self_defined !== 'all'; });
    var groups = [['white', 'White'], ['black', 'Black'], ['asian', 'Asian'], ['mixed', 'Mixed'],
                  ['other', 'Other'], ['not_stated', 'not stated']];
    var palette = [grey, blue, '#5b8cc9', red, '#e0a526', '#c8c8c8'];
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: rows.map(function (r) { return r.self_defined; }),
              datasets: groups.map(function (g, i) {
                return { label: 'officer-defined ' + g[1], backgroundColor: palette[i], key: g[0],
                         data: rows.map(function (r) { return r.total > 0 ? 100 * r[g[0]] / r.total : null; }) };
              }) },
      options: { indexAxis: 'y',
                 scales: { x: { stacked: true, max: 100, title: { display: true, text: '% of the self-defined group\'s searches' } },
                           y: { stacked: true, title: { display: true, text: 'self-defined' } } },
                 plugins: { tooltip: { callbacks: { label: function (c) {
                   var r = rows[c.dataIndex];
                   return c.dataset.label + ': ' + r[c.dataset.key] + ' of ' + r.total + ' (' + c.raw.toFixed(1) + '%)';
                 } } } } }
    });
  }

  eqm.kinds.funnel = funnel;
  eqm.kinds.agreement = agreement;
  eqm.kinds.powers = stacked([['pace_s1_share', 'PACE s1'], ['mda_s23_share', 'Misuse of Drugs Act s23'],
                              ['section_60_share', 'section 60'], ['other_power_share', 'other powers']]);
  eqm.kinds.outcomes = stacked([['nfa_share', 'no further action'], ['arrest_share', 'arrest'],
                                ['other_outcome_share', 'other outcomes']]);
  eqm.kinds.children = shareWithInterval('children', 'searches of children');
  eqm.kinds.strip = shareWithInterval('strip', 'more than outer clothing removed');
})();
