<%inherit file="layout.mako"/>
<%block name="title">Reports · ${settings.instance_name}</%block>
<%def name="card(c, labels)">
<% a = c['abuse'] %>
<article class="abuse" id="abuse-${a.id}">
  <h2><a href="/admin/abuses/${a.id}">Report #${a.id}</a>:
  % if c['about']['link']:
    <a href="${c['about']['link']}">${c['about']['label']}</a>
  % else:
    ${c['about']['label']}
  % endif
  </h2>
  <p>By ${(c['reporter'].display_name + ' (@' + c['reporter'].name + ('@' + c['reporter'].host if c['reporter'].host else '') + ')') if c['reporter'] else 'someone gone since'}
    · <time datetime="${a.created_at.isoformat()}Z">${a.created_at.strftime('%d %B %Y, %H:%M')}</time>
    · <span class="state state-${a.state}">${a.state_enum.label}</span></p>
  % if a.reason_names:
  <p>${', '.join(labels.get(n, n) for n in a.reason_names)}</p>
  % endif
  % if a.start_at is not None:
  <p>From ${a.start_at} s${f' to {a.end_at} s' if a.end_at is not None else ''}</p>
  % endif
  <blockquote>${a.reason}</blockquote>
  % if c['about'].get('text'):
  <p>The comment: <q>${c['about']['text']}</q></p>
  % endif
  <form method="post" action="/admin/abuses/${a.id}" hx-post="/admin/abuses/${a.id}" hx-target="#abuse-${a.id}" hx-swap="outerHTML">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <label>Note for the moderators <textarea name="moderationComment" rows="2" maxlength="3000">${a.moderation_comment or ''}</textarea></label>
    <button type="submit" name="state" value="" class="button">Save the note</button>
    <button type="submit" name="state" value="3" class="button">Accept</button>
    <button type="submit" name="state" value="2" class="button">Reject</button>
  </form>
  <div class="actions">
  % if a.kind == 'comment' and c['about'].get('link') and not c['about'].get('deleted'):
    <form method="post" action="/admin/abuses/${a.id}/delete-comment" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <button type="submit" class="button danger">Delete the comment</button>
    </form>
  % endif
  % if c['can_block'] and not c['video_blocked']:
    <form method="post" action="/admin/abuses/${a.id}/block-video" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <button type="submit" class="button danger">Block the video</button>
    </form>
  % elif c['video_blocked']:
    <span>The video is blocked.</span>
  % endif
  % if c['can_mute'] and not c['muted']:
    <form method="post" action="/admin/abuses/${a.id}/mute-account" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <button type="submit" class="button danger">Mute the account for this server</button>
    </form>
  % elif c['muted']:
    <span>The account is muted.</span>
  % endif
  </div>
  % if c['messages'] is not None:
  <h3>Messages with the reporter</h3>
  % for m in c['messages']:
  <div class="message ${'by-moderator' if m.by_moderator else ''}">
    <strong>${m.account.display_name if m.account_id else 'Someone'}</strong>
    <time datetime="${m.created_at.isoformat()}Z">${m.created_at.strftime('%d %B %Y, %H:%M')}</time>
    <p>${m.message}</p>
  </div>
  % endfor
  <form method="post" action="/admin/abuses/${a.id}/messages">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <label>Write to the reporter <textarea name="message" rows="2" maxlength="3000" required></textarea></label>
    <button type="submit" class="button">Send</button>
  </form>
  % else:
  <p>Reported from another server: its reporter reads no messages here.</p>
  % endif
</article>
</%def>
<h1>Reports</h1>
% if not single:
<nav class="filters" aria-label="State">
  <a href="/admin/abuses" ${'aria-current=page' if not state else ''}>All</a>
  <a href="/admin/abuses?state=1" ${'aria-current=page' if state == '1' else ''}>Pending</a>
  <a href="/admin/abuses?state=3" ${'aria-current=page' if state == '3' else ''}>Accepted</a>
  <a href="/admin/abuses?state=2" ${'aria-current=page' if state == '2' else ''}>Rejected</a>
</nav>
<p>${total} report${'' if total == 1 else 's'}</p>
% endif
% for c in cards:
${card(c, labels)}
% endfor
