// The script of the page `ctana report` writes (docs/report.md), embedded at build time
// (cmake/embed_assets.cmake). Everything it shows as text is in the page already: it only sorts
// and filters the connections table and draws the plots from the JSON data block with Chart.js.
// When it has drawn them it sets data-plots on the root element (the browser test reads it).
(function () {
  'use strict';
  var root = document.documentElement;
  var data = {};
  try {
    data = JSON.parse(document.getElementById('ctana-data').textContent);
  } catch (err) {
    window.ctanaErrors.push('data: ' + err);
  }

  // The connections table: sort by a column (numbers by data-v), filter by words.
  var table = document.getElementById('conn-table');
  if (table) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      if (!th.hasAttribute('data-sort')) return;
      th.addEventListener('click', function () {
        var numeric = th.getAttribute('data-sort') === 'n';
        var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('data-dir'); });
        th.setAttribute('data-dir', dir === 1 ? 'asc' : 'desc');
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (tr) {
          var td = tr.cells[col];
          if (!numeric) return td.textContent;
          var v = parseFloat(td.getAttribute('data-v') || td.textContent.replace(/,/g, ''));
          return isNaN(v) ? -Infinity : v;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * dir;
        });
        rows.forEach(function (tr) { body.appendChild(tr); });
      });
    });
    var filter = document.getElementById('conn-filter');
    if (filter) {
      filter.hidden = false;
      filter.addEventListener('input', function () {
        var words = filter.value.toLowerCase().split(/\s+/).filter(function (w) { return w; });
        Array.prototype.forEach.call(body.rows, function (tr) {
          var text = tr.textContent.toLowerCase();
          tr.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
        });
      });
    }
  }
  window.addEventListener('beforeprint', function () {
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) { d.open = true; });
  });

  var drawn = 0;
  if (typeof Chart === 'undefined') {
    root.setAttribute('data-plots', '0');
    return;
  }
  var sevColor = { error: '#b3261e', warning: '#c07a00', info: '#35608f' };
  var base = function (xTitle, yTitle) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: { type: 'linear', title: { display: true, text: xTitle } },
        y: { type: 'linear', title: { display: true, text: yTitle } }
      }
    };
  };
  var draw = function (id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    try {
      var chart = new Chart(canvas, config);
      // the elements drawn (points, bars), for the browser test
      var elements = 0;
      for (var k = 0; k < chart.data.datasets.length; k++) elements += chart.getDatasetMeta(k).data.length;
      canvas.setAttribute('data-elements', String(elements));
      canvas.setAttribute('data-drawn', '1');
      drawn++;
    } catch (err) {
      window.ctanaErrors.push(id + ': ' + err);
      root.setAttribute('data-errors', String(window.ctanaErrors.length));
    }
  };
  var bins = function (origin, width, values, scale) {
    var out = [];
    for (var i = 0; i < values.length; i++) out.push({ x: origin + i * width, y: values[i] / scale });
    return out;
  };

  var t = data.timeline;
  if (t) {
    var cfg = base('seconds from the first packet', 'packets/s');
    cfg.scales.y1 = { type: 'linear', position: 'right', title: { display: true, text: 'bytes/s' },
                      grid: { drawOnChartArea: false } };
    var top = 0;
    t.packets.forEach(function (v) { top = Math.max(top, v / t.width); });
    var marks = (t.findings || []).map(function (f) { return { x: f[0], y: top * 1.05 + 1, text: f[1] + ' ' + f[2], conn: f[3] }; });
    cfg.plugins.tooltip = { callbacks: { label: function (c) {
      if (c.raw && c.raw.text) return c.raw.text + (c.raw.conn ? ' (connection ' + c.raw.conn + ')' : '');
      return c.dataset.label + ': ' + c.formattedValue;
    } } };
    draw('plot-timeline', { type: 'line', data: { datasets: [
      { label: 'packets/s', data: bins(t.origin, t.width, t.packets, t.width), yAxisID: 'y', borderColor: '#35608f',
        backgroundColor: '#35608f', pointRadius: 0, borderWidth: 1.5 },
      { label: 'bytes/s', data: bins(t.origin, t.width, t.bytes, t.width), yAxisID: 'y1', borderColor: '#7a9a3a',
        backgroundColor: '#7a9a3a', pointRadius: 0, borderWidth: 1.5 },
      { type: 'scatter', label: 'findings', data: marks, yAxisID: 'y', pointStyle: 'triangle', pointRadius: 6,
        backgroundColor: (t.findings || []).map(function (f) { return sevColor[f[1]] || '#555'; }),
        borderColor: 'transparent' }
    ] }, options: cfg });
  }

  if (data.protocols) {
    draw('plot-protocols', { type: 'bar', data: {
      labels: data.protocols.map(function (p) { return p[0]; }),
      datasets: [{ label: 'bytes', data: data.protocols.map(function (p) { return p[2]; }), backgroundColor: '#35608f' }]
    }, options: { animation: false, responsive: true, maintainAspectRatio: false, indexAxis: 'y',
                  plugins: { legend: { display: false } } } });
  }

  if (data.dns_latency) {
    var lat = data.dns_latency;
    draw('plot-dns-latency', { type: 'bar', data: {
      labels: lat.labels,
      datasets: [{ label: 'answered queries', data: lat.counts, backgroundColor: '#35608f' }]
    }, options: { animation: false, responsive: true, maintainAspectRatio: false,
                  plugins: { legend: { display: false } },
                  scales: { x: { title: { display: true, text: 'latency, first query to response (bucket upper bound)' } },
                            y: { beginAtZero: true, title: { display: true, text: 'answered queries' },
                                 ticks: { precision: 0 } } } } });
  }

  // counts per second over time, one line per code (discard reason, IDS probe)
  function coded(id, series, prefix, what) {
    var palette = ['#b3261e', '#35608f', '#7a9a3a', '#c07a00', '#6a3d9a', '#00838f', '#795548', '#555'];
    draw(id, { type: 'line', data: { datasets: series.map(function (d, k) {
      return { label: prefix + d.label, data: bins(d.origin, d.width, d.packets, d.width), pointRadius: 0,
               borderWidth: 1.5, borderColor: palette[k % palette.length], backgroundColor: palette[k % palette.length] };
    }) }, options: base('seconds from the first packet', what) });
  }
  if (data.discards) coded('plot-discards', data.discards, 'code ', 'discarded packets/s');
  if (data.ids) coded('plot-ids', data.ids, 'probe ', 'IDS events/s');

  var RETRANS = 1 | 2 | 4, DUPACK = 64, ZEROWIN = 128;
  (data.conns || []).forEach(function (c) {
    var seg = [], rtx = [], ack = [], win = [], dup = [], zw = [], i;
    for (i = 0; i + 3 < c.data.length; i += 4) {
      var p = { x: c.data[i], y: c.data[i + 1] + c.data[i + 2] };
      (c.data[i + 3] & RETRANS ? rtx : seg).push(p);
    }
    for (i = 0; i + 3 < c.acks.length; i += 4) {
      var a = { x: c.acks[i], y: c.acks[i + 1] };
      ack.push(a);
      win.push({ x: c.acks[i], y: c.acks[i + 1] + c.acks[i + 2] });
      if (c.acks[i + 3] & DUPACK) dup.push(a);
      if (c.acks[i + 3] & ZEROWIN) zw.push(a);
    }
    var cfg = base('seconds from the connection\'s first packet', 'relative sequence number (' + c.sender + ' data)');
    draw('plot-tsg-' + c.id, { type: 'scatter', data: { datasets: [
      { label: 'data segments (end)', data: seg, pointRadius: 1.5, backgroundColor: '#35608f', borderColor: '#35608f' },
      { label: 'retransmissions', data: rtx, pointRadius: 4, pointStyle: 'rectRot', backgroundColor: '#b3261e',
        borderColor: '#b3261e' },
      { label: 'ACK', data: ack, showLine: true, stepped: 'after', pointRadius: 0, borderWidth: 1, borderColor: '#7a9a3a',
        backgroundColor: '#7a9a3a' },
      { label: 'receive window (ACK + window)', data: win, showLine: true, stepped: 'after', pointRadius: 0,
        borderWidth: 1, borderColor: '#b58900', backgroundColor: '#b58900' },
      { label: 'duplicate ACKs', data: dup, pointRadius: 4, pointStyle: 'triangle', backgroundColor: '#c07a00',
        borderColor: '#c07a00' },
      { label: 'zero windows', data: zw, pointRadius: 6, pointStyle: 'crossRot', borderWidth: 2, borderColor: '#000',
        backgroundColor: '#000' }
    ] }, options: cfg });
    var tp = c.tput;
    draw('plot-tput-' + c.id, { type: 'line', data: { datasets: [
      { label: 'client → server bytes/s', data: bins(tp.origin, tp.width, tp.c2s, tp.width), pointRadius: 0,
        borderWidth: 1.5, borderColor: '#35608f', backgroundColor: '#35608f' },
      { label: 'server → client bytes/s', data: bins(tp.origin, tp.width, tp.s2c, tp.width), pointRadius: 0,
        borderWidth: 1.5, borderColor: '#7a9a3a', backgroundColor: '#7a9a3a' }
    ] }, options: base('seconds from the connection\'s first packet', 'bytes/s') });
    var rtt = [];
    for (i = 0; i + 1 < c.rtt.length; i += 2) rtt.push({ x: c.rtt[i], y: c.rtt[i + 1] });
    draw('plot-rtt-' + c.id, { type: 'scatter', data: { datasets: [
      { label: 'round-trip time of ' + c.sender + ' data (data → its ACK)', data: rtt, pointRadius: 2,
        backgroundColor: '#6a3d9a', borderColor: '#6a3d9a' }
    ] }, options: base('seconds from the connection\'s first packet', 'ms') });
  });
  root.setAttribute('data-plots', String(drawn));
})();
