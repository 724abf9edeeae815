// pmlens dashboards: initialises the ECharts charts the server describes in data
// attributes, escapes every tooltip (source text is never HTML), and adds table
// sorting/filtering and keyboard access. No inline scripts: the CSP forbids them.
(function () {
  'use strict';

  var state = { charts: {}, ready: false, pending: 0, errors: [] };
  window.pmlens = state;

  var PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#999999', '#000000'];
  var RAG = { '#b2182b': 'tt-red', '#e69f00': 'tt-amber', '#1a7f45': 'tt-green', '#8c8c8c': 'tt-none' };

  function escapeHTML(s) {
    return String(s == null ? '' : s)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  var intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  function fmt(v, kind) {
    if (v === null || v === undefined || v === '-' || (typeof v === 'number' && !isFinite(v))) { return '—'; }
    if (typeof v !== 'number') { return String(v); }
    switch (kind) {
      case 'money': case 'int': return intFmt.format(v);
      case 'idx': return v.toFixed(3);
      case 'days': return v.toFixed(1) + ' d';
      case 'ratio': return (v * 100).toFixed(1) + '%';
      default: return Math.abs(v - Math.round(v)) < 1e-9 ? intFmt.format(v) : v.toFixed(2);
    }
  }
  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e9) { return (v / 1e9).toFixed(1).replace(/\.0$/, '') + 'B'; }
    if (a >= 1e6) { return (v / 1e6).toFixed(1).replace(/\.0$/, '') + 'M'; }
    if (a >= 1e3) { return (v / 1e3).toFixed(0) + 'k'; }
    return String(v);
  }

  function markerClass(color) {
    if (typeof color !== 'string') { return 'tt-dot'; }
    var c = color.toLowerCase();
    if (RAG[c]) { return 'tt-dot ' + RAG[c]; }
    var i = PALETTE.indexOf(c);
    return i >= 0 ? 'tt-dot tt-c' + i : 'tt-dot';
  }
  function marker(color) { return '<span class="' + markerClass(color) + '" aria-hidden="true"></span>'; }
  function row(k, v) {
    return '<div class="tt-row"><span class="tt-key">' + k + '</span><span>' + v + '</span></div>';
  }

  function lastValue(v) {
    if (Array.isArray(v)) { return v[v.length - 1]; }
    return v;
  }

  // formatter builds tooltip HTML in which every piece of data is escaped.
  function formatter(kinds, tips) {
    return function (params) {
      if (Array.isArray(params)) {
        if (!params.length) { return ''; }
        var head = String(params[0].axisValueLabel == null ? '' : params[0].axisValueLabel).replace(/ 00:00:00$/, '');
        var out = '<div class="tt-head">' + escapeHTML(head) + '</div>';
        params.forEach(function (p) {
          out += row(marker(p.color) + escapeHTML(p.seriesName), escapeHTML(fmt(lastValue(p.value), kinds[p.seriesIndex])));
        });
        return out;
      }
      var p = params;
      if (p.componentType === 'markLine') {
        return row(escapeHTML(p.name), escapeHTML(fmt(lastValue(p.value), kinds[p.seriesIndex] || '')));
      }
      var t = tips && tips[p.seriesIndex] && tips[p.seriesIndex][p.dataIndex];
      if (t) {
        var html = '<div class="tt-head">' + marker(p.color) + escapeHTML(p.seriesName) + '</div>';
        t.forEach(function (kv) { html += row(escapeHTML(kv[0]), escapeHTML(kv[1])); });
        return html;
      }
      return '<div class="tt-head">' + marker(p.color) + escapeHTML(p.seriesName) + '</div>' +
        row(escapeHTML(p.name), escapeHTML(fmt(lastValue(p.value), kinds[p.seriesIndex])));
    };
  }

  function parse(el, name, fallback) {
    var raw = el.getAttribute(name);
    if (!raw) { return fallback; }
    try { return JSON.parse(raw); } catch (e) { state.errors.push(name + ': ' + e); return fallback; }
  }

  function tune(option, kinds, tips) {
    option.tooltip = Object.assign({}, option.tooltip, {
      confine: true, renderMode: 'html', className: 'pm-tooltip', formatter: formatter(kinds, tips)
    });
    var types = (option.series || []).map(function (s) { return s.type; });
    var heatmap = types.indexOf('heatmap') >= 0;
    var scatter = types.length > 0 && types.every(function (t) { return t === 'scatter'; });
    if (heatmap && option.legend) { option.legend.show = false; }
    ['xAxis', 'yAxis'].forEach(function (ax) {
      (option[ax] || []).forEach(function (a) {
        a.axisLabel = Object.assign({ hideOverlap: true }, a.axisLabel || {});
        delete a.axisLabel.interval;
        if (a.type === 'time') {
          a.axisLabel.formatter = { year: '{yyyy}', month: '{MMM} {yyyy}', day: '{d} {MMM}', hour: '{d} {MMM}', minute: '{d} {MMM}', second: '{d} {MMM}', millisecond: '{d} {MMM}', none: '{d} {MMM} {yyyy}' };
        }
        if (heatmap) { a.axisTick = { show: false }; }
        if (scatter && a.type === 'value') { a.boundaryGap = ['12%', '12%']; }
        if (a.type === 'category' && ax === 'yAxis' && a.data && a.data.length > 6) {
          a.axisLabel.width = 220; a.axisLabel.overflow = 'truncate';
        }
        if (a.type === 'value' && kinds.length && kinds.every(function (k) { return k === 'money'; })) {
          a.axisLabel.formatter = compact;
        }
      });
    });
    if (option.legend && !Array.isArray(option.legend)) { option.legend.type = 'scroll'; }
    var named = (option.xAxis || []).some(function (a) { return a.name && a.nameLocation === 'middle'; });
    if (named && option.grid && option.grid[0]) { option.grid[0].bottom = 36; }
    return option;
  }

  function markReady() {
    state.pending -= 1;
    if (state.pending <= 0 && !state.ready) {
      state.ready = true;
      document.documentElement.setAttribute('data-charts-ready', 'true');
    }
  }

  function renderCell(el, api, prob, impact) {
    var box = document.getElementById(el.id.replace(/-chart$/, '') + '-cell');
    if (!box || !api) { return; }
    box.removeAttribute('data-loaded');
    box.textContent = 'Loading risks…';
    var url = api + (api.indexOf('?') >= 0 ? '&' : '?') + 'probability=' + prob + '&impact=' + impact;
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (body) {
        box.textContent = '';
        var h = document.createElement('h3');
        h.textContent = 'Risks with probability ' + prob + ' and impact ' + impact;
        box.appendChild(h);
        var items = body.data || [];
        if (!items.length) {
          var p = document.createElement('p');
          p.className = 'empty';
          p.textContent = body.missing ? 'No data yet: ' + body.missing + '.' : 'No open risks in this cell.';
          box.appendChild(p);
        } else {
          var table = document.createElement('table');
          table.className = 'data';
          var head = table.createTHead().insertRow();
          ['Project', 'Risk', 'Title', 'EMV', 'Status'].forEach(function (t) {
            var th = document.createElement('th'); th.scope = 'col'; th.textContent = t; head.appendChild(th);
          });
          var tb = table.createTBody();
          items.forEach(function (it) {
            var tr = tb.insertRow();
            var a = document.createElement('a');
            a.href = '/project/' + encodeURIComponent(it.project_id);
            a.textContent = it.project_name;
            tr.insertCell().appendChild(a);
            tr.insertCell().textContent = it.risk_id;
            tr.insertCell().textContent = it.title;
            var emv = tr.insertCell(); emv.className = 'k-money'; emv.textContent = fmt(it.emv, 'money');
            tr.insertCell().textContent = it.status || '';
          });
          var wrap = document.createElement('div'); wrap.className = 'table-wrap'; wrap.appendChild(table);
          box.appendChild(wrap);
        }
        box.setAttribute('data-loaded', String(items.length));
      })
      .catch(function (e) {
        box.textContent = 'Could not load the risks of this cell (' + e.message + '); use the table view instead.';
        box.setAttribute('data-loaded', 'error');
      });
  }

  function initChart(el) {
    var option = parse(el, 'data-option', null);
    if (!option) { return; }
    var kinds = parse(el, 'data-kinds', []);
    var tips = parse(el, 'data-tips', null);
    var links = parse(el, 'data-links', null);
    var click = el.getAttribute('data-click');
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    state.charts[el.id] = chart;
    state.pending += 1;
    var done = false;
    chart.on('finished', function () {
      if (!done) { done = true; el.setAttribute('data-rendered', 'true'); markReady(); }
    });
    chart.setOption(tune(option, kinds, tips));

    function activate(seriesIndex, dataIndex, value) {
      if (click === 'link' && links && links[seriesIndex] && links[seriesIndex][dataIndex]) {
        window.location.href = links[seriesIndex][dataIndex];
      } else if (click === 'cell' && Array.isArray(value)) {
        renderCell(el, el.getAttribute('data-cell-api'), value[1] + 1, value[0] + 1);
      }
    }
    chart.on('click', function (p) {
      if (p.componentType === 'series') { activate(p.seriesIndex, p.dataIndex, p.value); }
    });

    // Keyboard: arrows move through the data points (showing each tooltip), Enter
    // opens the point's link or lists a risk cell's risks.
    var cursor = { s: 0, d: -1 };
    el.addEventListener('keydown', function (ev) {
      var series = chart.getOption().series || [];
      if (!series.length) { return; }
      var key = ev.key;
      if (key === 'ArrowRight' || key === 'ArrowLeft' || key === 'ArrowDown' || key === 'ArrowUp') {
        ev.preventDefault();
        var step = (key === 'ArrowRight' || key === 'ArrowDown') ? 1 : -1;
        var n = (series[cursor.s].data || []).length;
        cursor.d += step;
        if (cursor.d >= n || cursor.d < 0) {
          cursor.s = (cursor.s + step + series.length) % series.length;
          n = (series[cursor.s].data || []).length;
          cursor.d = step > 0 ? 0 : n - 1;
        }
        chart.dispatchAction({ type: 'showTip', seriesIndex: cursor.s, dataIndex: cursor.d });
      } else if (key === 'Enter' && cursor.d >= 0) {
        var item = (series[cursor.s].data || [])[cursor.d];
        var value = item && item.value !== undefined ? item.value : item;
        activate(cursor.s, cursor.d, value);
      } else if (key === 'Escape') {
        chart.dispatchAction({ type: 'hideTip' });
      }
    });
    el.addEventListener('blur', function () { chart.dispatchAction({ type: 'hideTip' }); });
  }

  function sortTable(th) {
    var table = th.closest('table');
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(th.parentNode.children, function (h) { if (h.hasAttribute('aria-sort')) { h.setAttribute('aria-sort', 'none'); } });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function key(r) {
      var c = r.cells[idx];
      if (!c) { return ''; }
      return c.hasAttribute('data-sort') ? c.getAttribute('data-sort') : c.textContent.trim().toLowerCase();
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === '' && y === '') { return 0; }
      if (x === '') { return 1; }
      if (y === '') { return -1; }
      var nx = Number(x), ny = Number(y);
      var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function filterTable(input) {
    var table = document.getElementById(input.getAttribute('data-filter-table'));
    if (!table) { return; }
    var q = input.value.trim().toLowerCase();
    var shown = 0, total = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      if (r.cells.length === 1) { return; }
      total += 1;
      var hit = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
      r.hidden = !hit;
      if (hit) { shown += 1; }
    });
    var count = document.querySelector('[data-count-for="' + table.id + '"]');
    if (count) { count.textContent = q ? shown + ' of ' + total + ' shown' : ''; }
  }

  function init() {
    document.querySelectorAll('th > button[data-sort]').forEach(function (b) {
      b.addEventListener('click', function () { sortTable(b.parentNode); });
    });
    document.querySelectorAll('input[data-filter-table]').forEach(function (i) {
      i.addEventListener('input', function () { filterTable(i); });
    });
    var els = document.querySelectorAll('.chart[data-option]');
    if (!els.length) {
      state.ready = true;
      document.documentElement.setAttribute('data-charts-ready', 'true');
      return;
    }
    if (!window.echarts) {
      state.errors.push('ECharts did not load');
      els.forEach(function (el) { el.textContent = 'The chart library did not load; use the table view.'; });
      return;
    }
    els.forEach(function (el) {
      try { initChart(el); } catch (e) { state.errors.push(el.id + ': ' + e); }
    });
    if (state.pending === 0) {
      state.ready = true;
      document.documentElement.setAttribute('data-charts-ready', 'true');
    }
    var resize = function () { Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); }); };
    window.addEventListener('resize', resize);
    window.addEventListener('beforeprint', resize);
    window.addEventListener('afterprint', resize);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
