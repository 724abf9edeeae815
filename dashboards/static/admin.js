/* pmlens administration: the users page. Every action calls the admin user API
   (/api/v1/admin/users) with a same-origin JSON request; the server records each
   change in the audit trail. The table refreshes every 30 s with the
   X-Pmlens-Background header, so an open admin page does not keep its session
   alive. All text from the server is inserted with textContent, never as HTML. */
(function () {
  'use strict';
  var section = document.getElementById('users');
  if (!section) { return; }
  var api = section.getAttribute('data-users-api');
  var tbody = document.querySelector('#users-table tbody');
  var result = document.getElementById('user-result');
  var refreshed = document.getElementById('users-refreshed');
  var editing = null; // name of the user whose editor is open; refresh keeps it

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function say(message, secret) {
    result.hidden = false;
    result.textContent = '';
    result.appendChild(el('p', {}, message));
    if (secret) {
      result.appendChild(el('p', { 'class': 'secret-once' }, secret));
      result.appendChild(el('p', {}, 'It is shown once: copy it now.'));
    }
    result.focus();
  }

  function call(method, path, body, background) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
    if (background) { headers['X-Pmlens-Background'] = '1'; }
    return fetch(api + path, {
      method: method, headers: headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) { return {}; }
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error(j.error || ('HTTP ' + r.status)); }
        return j;
      });
    });
  }

  function list(s) {
    return (s || '').split(',').map(function (x) { return x.trim(); }).filter(function (x) { return x; });
  }

  function scopeText(u) {
    if (u.all_scopes) { return 'all portfolios'; }
    var parts = [];
    if (u.portfolios && u.portfolios.length) { parts.push(u.portfolios.join(', ')); }
    if (u.programs && u.programs.length) { parts.push(u.programs.map(function (p) { return 'program ' + p; }).join(', ')); }
    return parts.join('; ');
  }

  function when(t) {
    if (!t) { return ''; }
    var d = new Date(t);
    return isNaN(d) ? '' : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  function button(label, onClick) {
    var b = el('button', { type: 'button' }, label);
    b.addEventListener('click', onClick);
    return b;
  }

  function act(promise, done) {
    promise.then(function (j) { say(done(j) || 'Done.', j && j.token); refresh(); })
      .catch(function (e) { say('Not done: ' + e.message); });
  }

  function editor(u) {
    var box = el('div', { 'class': 'admin-form' });
    var role = el('select', { 'aria-label': 'Role of ' + u.name });
    ['viewer', 'analyst', 'admin'].forEach(function (r) {
      var o = el('option', {}, r); if (r === u.role) { o.selected = true; } role.appendChild(o);
    });
    var pf = el('input', { 'aria-label': 'Portfolios of ' + u.name, placeholder: 'portfolios, comma-separated; empty = all', list: 'known-portfolios' });
    pf.value = (u.portfolios || []).join(', ');
    var pg = el('input', { 'aria-label': 'Programs of ' + u.name, placeholder: 'programs', list: 'known-programs' });
    pg.value = (u.programs || []).join(', ');
    box.appendChild(role); box.appendChild(pf); box.appendChild(pg);
    box.appendChild(button('Save role and scope', function () {
      var p = list(pf.value), g = list(pg.value);
      act(call('PUT', '/' + encodeURIComponent(u.name) + '/grant',
        { role: role.value, portfolios: p, programs: g, all_scopes: !p.length && !g.length }),
        function () { return u.name + ' is now ' + role.value + '; their sessions have ended.'; });
    }));
    if (u.kind === 'local') {
      var pw = el('input', { type: 'password', autocomplete: 'new-password', 'aria-label': 'New password for ' + u.name, placeholder: 'new password' });
      box.appendChild(pw);
      box.appendChild(button('Set password', function () {
        act(call('POST', '/' + encodeURIComponent(u.name) + '/password', { password: pw.value }),
          function () { return 'Password of ' + u.name + ' changed; their sessions have ended.'; });
      }));
    }
    var label = el('input', { 'aria-label': 'Label of a new API token for ' + u.name, placeholder: 'token label' });
    box.appendChild(label);
    box.appendChild(button('New API token', function () {
      act(call('POST', '/' + encodeURIComponent(u.name) + '/tokens', { label: label.value }),
        function (j) { return 'API token ' + j.id + ' for ' + u.name + ' (expires ' + when(j.expires) + '):'; });
    }));
    (u.tokens || []).forEach(function (t) {
      box.appendChild(button('Revoke token ' + t.id, function () {
        act(call('DELETE', '/' + encodeURIComponent(u.name) + '/tokens/' + encodeURIComponent(t.id)),
          function () { return 'Token ' + t.id + ' of ' + u.name + ' revoked.'; });
      }));
    });
    return box;
  }

  function row(u) {
    var tr = el('tr', { 'data-user': u.name });
    [u.name, u.kind, u.role, scopeText(u), u.disabled ? 'disabled' : 'active'].forEach(function (t) { tr.appendChild(el('td', {}, t)); });
    var toks = el('td');
    (u.tokens || []).forEach(function (t) {
      toks.appendChild(el('span', { 'class': 'token' }, t.id + (t.label ? ' (' + t.label + ')' : '') + (t.expires ? ', expires ' + when(t.expires) : '')));
      toks.appendChild(document.createTextNode(' '));
    });
    if (!toks.childNodes.length) { toks.textContent = '—'; }
    tr.appendChild(toks);
    tr.appendChild(el('td', {}, when(u.updated)));
    var actions = el('td', { 'class': 'actions' });
    actions.appendChild(button(u.disabled ? 'Enable' : 'Disable', function () {
      var what = u.disabled ? 'enable' : 'disable';
      act(call('POST', '/' + encodeURIComponent(u.name) + '/' + what), function () { return u.name + ': ' + what + 'd.'; });
    }));
    actions.appendChild(button('End sessions', function () {
      act(call('DELETE', '/' + encodeURIComponent(u.name) + '/sessions'), function (j) { return 'Ended ' + (j.ended || 0) + ' session(s) of ' + u.name + '.'; });
    }));
    var edit = button(editing === u.name ? 'Close' : 'Edit', function () {
      editing = editing === u.name ? null : u.name;
      refresh();
    });
    edit.setAttribute('aria-expanded', editing === u.name ? 'true' : 'false');
    actions.appendChild(edit);
    if (editing === u.name) { actions.appendChild(editor(u)); }
    tr.appendChild(actions);
    return tr;
  }

  function render(users) {
    tbody.textContent = '';
    if (!users.length) {
      var tr = el('tr'); var td = el('td', { colspan: '8', 'class': 'empty' }, 'No users yet.');
      tr.appendChild(td); tbody.appendChild(tr); return;
    }
    users.forEach(function (u) { tbody.appendChild(row(u)); });
  }

  function refresh(background) {
    return call('GET', '', undefined, background).then(function (j) {
      render(j.users || []);
      refreshed.textContent = 'Updated ' + new Date().toLocaleTimeString() + '.';
    }).catch(function (e) { refreshed.textContent = 'Could not refresh: ' + e.message; });
  }

  var form = document.getElementById('user-add-form');
  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = form.elements;
      var p = list(f.portfolios.value), g = list(f.programs.value);
      act(call('POST', '', {
        name: f.name.value.trim(), kind: f.kind.value, password: f.password.value, role: f.role.value,
        portfolios: p, programs: g, all_scopes: !p.length && !g.length
      }), function () { var n = f.name.value.trim(); form.reset(); return 'Added ' + n + '.'; });
    });
  }
  result.setAttribute('tabindex', '-1');
  refresh(true);
  setInterval(function () { refresh(true); }, 30000);
}());
